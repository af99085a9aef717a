output "certificate_arn" {
  description = "ARN of the certificate, known only once ACM has issued it (through aws_acm_certificate_validation): give it to the HTTPS listener."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "domain_name" {
  description = "Name the certificate is for."
  value       = aws_acm_certificate.this.domain_name
}
