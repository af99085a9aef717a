output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone ID of the load balancer (for an alias record)."
  value       = aws_lb.this.zone_id
}

output "base_url" {
  description = "URL clients use: https:// when a certificate is set, http:// otherwise; the host is domain_name when set, else the load balancer's DNS name."
  value       = "${local.https ? "https" : "http"}://${local.host}"
}

output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (the LoadBalancer dimension of its CloudWatch metrics)."
  value       = aws_lb.this.arn_suffix
}

output "security_group_id" {
  description = "Security group of the load balancer; the tasks admit traffic from it only."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "ARN of the ip target group the ECS service registers its tasks in."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (the TargetGroup dimension of its CloudWatch metrics)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "listener_arn" {
  description = "ARN of the listener that forwards to the target group (HTTPS when a certificate is set)."
  value       = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
}
