output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "base_url" {
  description = "Base URL of the service."
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

output "log_group_name" {
  description = "CloudWatch Logs group of the containers."
  value       = module.logs.name
}

output "dashboard_url" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_url
}
