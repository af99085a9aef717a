# LocalStack serves a REST API stage under two URL forms:
#   path style (works without DNS):  <endpoint>/restapis/<id>/<stage>/_user_request_/<path>
#   host style (needs DNS for *.localhost.localstack.cloud, which resolves to 127.0.0.1):
#                                    http://<id>.execute-api.localhost.localstack.cloud:<port>/<stage>/<path>
# The *_invoke_url outputs are bases without a trailing slash: append /products/search or /health.
# They are what `make loadtest HOST=...` takes.

locals {
  direct_invoke_url = "${local.endpoint}/restapis/${module.api_direct.rest_api_id}/${module.api_direct.stage_name}/_user_request_"

  lambda_api_id     = one(module.api_lambda[*].rest_api_id)
  lambda_stage      = one(module.api_lambda[*].stage_name)
  lambda_invoke_url = var.lambda_proxy ? "${local.endpoint}/restapis/${local.lambda_api_id}/${local.lambda_stage}/_user_request_" : null
}

output "direct_invoke_url" {
  description = "Base URL of the direct route (API Gateway HTTP_PROXY -> service), path style, stage included."
  value       = local.direct_invoke_url
}

output "direct_invoke_url_hostname" {
  description = "The same base URL in LocalStack's host style (execute-api host name)."
  value       = "${local.endpoint_parts[0]}://${module.api_direct.rest_api_id}.execute-api.localhost.localstack.cloud:${local.endpoint_port}/${module.api_direct.stage_name}"
}

output "direct_search_url" {
  description = "Full invoke URL of /products/search through the direct route."
  value       = "${local.direct_invoke_url}/products/search"
}

output "direct_health_url" {
  description = "Full invoke URL of /health through the direct route."
  value       = "${local.direct_invoke_url}/health"
}

output "lambda_invoke_url" {
  description = "Base URL of the Lambda route (API Gateway AWS_PROXY -> Lambda -> service), path style; null unless lambda_proxy = true."
  value       = local.lambda_invoke_url
}

output "lambda_invoke_url_hostname" {
  description = "The same base URL in LocalStack's host style; null unless lambda_proxy = true."
  value       = var.lambda_proxy ? "${local.endpoint_parts[0]}://${local.lambda_api_id}.execute-api.localhost.localstack.cloud:${local.endpoint_port}/${local.lambda_stage}" : null
}

output "lambda_search_url" {
  description = "Full invoke URL of /products/search through the Lambda route; null unless lambda_proxy = true."
  value       = var.lambda_proxy ? "${local.lambda_invoke_url}/products/search" : null
}

output "lambda_health_url" {
  description = "Full invoke URL of /health through the Lambda route; null unless lambda_proxy = true."
  value       = var.lambda_proxy ? "${local.lambda_invoke_url}/health" : null
}

output "lambda_function_name" {
  description = "Name of the Lambda proxy function; null unless lambda_proxy = true."
  value       = one(aws_lambda_function.proxy[*].function_name)
}

output "rest_api_ids" {
  description = "IDs of the REST APIs, by route."
  value = {
    direct = module.api_direct.rest_api_id
    lambda = local.lambda_api_id
  }
}

output "vpc_id" {
  description = "ID of the emulated VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the emulated private subnets."
  value       = module.network.private_subnet_ids
}

output "log_group_name" {
  description = "CloudWatch Logs group of the service's containers."
  value       = module.logs.name
}

output "task_execution_role_arn" {
  description = "ARN of the ECS task execution role (IAM module)."
  value       = module.iam.execution_role_arn
}

# --- enable_pro_services (LocalStack Pro) ---

output "ecr_repository_url" {
  description = "Emulated ECR repository to push the image to; null unless enable_pro_services = true."
  value       = one(module.ecr[*].repository_url)
}

output "alb_base_url" {
  description = "Base URL of the emulated ALB in front of the ECS service; null unless enable_pro_services = true."
  value       = one(module.alb[*].base_url)
}

output "ecs_cluster_name" {
  description = "ECS cluster; null unless enable_pro_services = true."
  value       = one(module.ecs_service[*].cluster_name)
}

output "ecs_service_name" {
  description = "ECS service; null unless enable_pro_services = true."
  value       = one(module.ecs_service[*].service_name)
}

# --- catalog_file ---

output "catalog_s3_uri" {
  description = "The uploaded catalog in LocalStack's S3 (s3://bucket/key); null unless catalog_file is set."
  value       = local.catalog_on ? "s3://${local.catalog.bucket}/${local.catalog.key}" : null
}

output "catalog_container_file" {
  description = "Where the service reads the catalog inside its container (/catalog/<file name>); null unless catalog_file is set."
  value       = local.catalog_on ? "/catalog/${basename(var.catalog_file)}" : null
}

output "catalog_format" {
  description = "products (PRODUCTS_FILE) or snapshot (SNAPSHOT_FILE), by the file's suffix; null unless catalog_file is set."
  value       = local.catalog_format
}
