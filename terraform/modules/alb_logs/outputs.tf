output "bucket" {
  description = "Name of the bucket; known only once its policy lets ELB write, so a load balancer given it can enable access logs at once."
  value       = aws_s3_bucket.this.id

  depends_on = [aws_s3_bucket_policy.this, aws_s3_bucket_ownership_controls.this]
}

output "prefix" {
  description = "Key prefix of the access logs."
  value       = var.prefix
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}
