output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "domain_name" {
  description = "Name clients use (null: the load balancer's DNS name). Until DNS has propagated, reach it with curl --connect-to <domain_name>:443:<alb_dns_name>:443."
  value       = var.domain_name
}

output "base_url" {
  description = "Base URL of the service: https://<domain_name> with a certificate, else http://<domain_name or ALB DNS name>."
  value       = module.alb.base_url
}

output "search_url" {
  description = "A full search URL, ready for curl."
  value       = "${module.alb.base_url}/products/search?q=alpha&limit=5"
}

output "health_url" {
  description = "Health check URL."
  value       = "${module.alb.base_url}/health"
}

output "ecr_repository_url" {
  description = "ECR repository to push the image to."
  value       = module.ecr.repository_url
}

output "image" {
  description = "Image the service runs."
  value       = "${module.ecr.repository_url}:${terraform_data.image_tag_given.output}"
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.ecs_service.cluster_name
}

output "service_name" {
  description = "ECS service."
  value       = module.ecs_service.service_name
}

output "task_definition_arn" {
  description = "Task definition (with revision) this apply registered; scripts/deploy-aws.sh waits until the service's primary deployment runs it and its rollout is COMPLETED."
  value       = module.ecs_service.task_definition_arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the containers."
  value       = module.logs.name
}

output "dashboard_url" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_url
}

output "environment" {
  description = "Environment of this stack; every name is <name>-<environment>."
  value       = var.environment
}

output "cpu_architecture" {
  description = "CPU architecture of the tasks; the image must be built for it (linux/amd64 or linux/arm64)."
  value       = var.cpu_architecture
}

output "alarm_names" {
  description = "CloudWatch alarms of the service."
  value       = module.observability.alarm_names
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify; null unless alarm_sns_topic or alarm_email is set."
  value       = module.observability.sns_topic_arn
}

output "access_logs_bucket" {
  description = "S3 bucket of the load balancer's access logs; null when alb_access_logs is off (the default outside prod)."
  value       = one(module.alb_logs[*].bucket)
}

output "web_acl_arn" {
  description = "AWS WAF web ACL on the load balancer; null when waf is off (the default outside prod)."
  value       = one(module.waf[*].web_acl_arn)
}

output "waf_log_group_name" {
  description = "CloudWatch Logs group of the requests the web ACL blocked or counted; null without waf or waf_logging."
  value       = one(module.waf[*].log_group_name)
}

output "certificate_arn" {
  description = "ACM certificate of the HTTPS listener: certificate_arn, or the one issued and validated here (acm_certificate); null without HTTPS."
  value       = local.acm ? one(module.certificate[*].certificate_arn) : var.certificate_arn
}
