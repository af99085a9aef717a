output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the blocked and counted requests; null unless logging is on."
  value       = one(aws_cloudwatch_log_group.waf[*].name)
}

output "web_acl_name" {
  description = "Name of the web ACL (the WebACL dimension of its AWS/WAFV2 metrics)."
  value       = aws_wafv2_web_acl.this.name
}
