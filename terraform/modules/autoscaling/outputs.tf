output "resource_id" {
  description = "Application Auto Scaling resource ID of the service."
  value       = aws_appautoscaling_target.this.resource_id
}

output "cpu_policy_arn" {
  description = "ARN of the CPU target-tracking policy."
  value       = aws_appautoscaling_policy.cpu.arn
}

output "requests_policy_arn" {
  description = "ARN of the requests-per-target policy, or null when it is off."
  value       = one(aws_appautoscaling_policy.requests[*].arn)
}
