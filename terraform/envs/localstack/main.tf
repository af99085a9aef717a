# The product-search deployment against LocalStack.
#
# Community edition (the default): the network, IAM and CloudWatch Logs modules
# of the AWS env, and a REST API in API Gateway whose {proxy+} route is an
# HTTP_PROXY integration straight to the service container (module api_direct).
# lambda.tf adds the original API Gateway + Lambda route (var.lambda_proxy);
# pro.tf adds ECR, ECS, ALB and autoscaling (var.enable_pro_services, LocalStack Pro).

locals {
  tags = {
    Service = var.name
  }

  # Pieces of the endpoint, to build the URLs LocalStack serves APIs under.
  endpoint       = trimsuffix(var.localstack_endpoint, "/")
  endpoint_parts = regex("^(https?)://([^:/]+)(?::([0-9]+))?", var.localstack_endpoint)
  endpoint_port  = coalesce(local.endpoint_parts[2], local.endpoint_parts[0] == "https" ? "443" : "80")
}

module "network" {
  source = "../../modules/network"

  name           = var.name
  private_egress = var.private_egress
  tags           = local.tags
}

module "iam" {
  source = "../../modules/iam"

  name           = var.name
  catalog_object = local.catalog == null ? null : { bucket = local.catalog.bucket, key = local.catalog.key }
  tags           = local.tags
}

module "logs" {
  source = "../../modules/logs"

  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

# The fast route: API Gateway forwards to the container itself.
module "api_direct" {
  source = "../../modules/apigw_proxy"

  name        = "${var.name}-direct"
  description = "${var.name}: HTTP_PROXY integration straight to ${var.backend_url}"
  stage_name  = var.stage_name
  integration = "http_proxy"
  backend_url = var.backend_url
  tags        = local.tags
}
