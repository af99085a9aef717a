# LocalStack Pro only (var.enable_pro_services): the container platform of the AWS
# env, from the same modules: ECR, an ALB, ECS (Fargate emulated by containers on
# the host's Docker), target-tracking autoscaling and the dashboard and alarms.
# The community image answers these APIs with "not included in your license".
#
# The task runs the image pushed to the emulated ECR repository
# (docker tag product-search:latest <ecr_repository_url>:latest && docker push ...),
# or var.pro_image when set.

locals {
  pro   = var.enable_pro_services ? 1 : 0
  image = var.enable_pro_services ? coalesce(var.pro_image, "${one(module.ecr[*].repository_url)}:latest") : null
}

module "ecr" {
  source = "../../modules/ecr"
  count  = local.pro

  name                 = var.name
  image_tag_mutability = "MUTABLE" # :latest moves on every local build; plain MUTABLE is what every LocalStack version emulates
  force_delete         = true      # LocalStack is disposable
  tags                 = local.tags
}

module "alb" {
  source = "../../modules/alb"
  count  = local.pro

  name                   = var.name
  vpc_id                 = module.network.vpc_id
  public_subnet_ids      = module.network.public_subnet_ids
  target_port            = 8080
  health_check_path      = "/health"
  deregistration_delay_s = var.pro_deregistration_delay_s
  tags                   = local.tags
}

module "ecs_service" {
  source = "../../modules/ecs_service"
  count  = local.pro

  name                  = var.name
  region                = var.region
  image                 = local.image
  cpu                   = 256
  memory                = 512
  container_port        = 8080
  environment           = {}
  drain_s               = var.pro_drain_s
  catalog               = local.catalog
  startup_s             = local.catalog_format == "snapshot" ? 3 : 10
  desired_count         = var.pro_desired_count
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = one(module.alb[*].security_group_id)
  target_group_arn      = one(module.alb[*].target_group_arn)
  execution_role_arn    = module.iam.execution_role_arn
  task_role_arn         = module.iam.task_role_arn
  log_group_name        = module.logs.name
  tags                  = local.tags

  depends_on = [module.alb]
}

module "autoscaling" {
  source = "../../modules/autoscaling"
  count  = local.pro

  cluster_name            = one(module.ecs_service[*].cluster_name)
  service_name            = one(module.ecs_service[*].service_name)
  min_capacity            = var.pro_desired_count
  max_capacity            = var.pro_desired_count * 2
  alb_arn_suffix          = one(module.alb[*].arn_suffix)
  target_group_arn_suffix = one(module.alb[*].target_group_arn_suffix)
}

module "observability" {
  source = "../../modules/observability"
  count  = local.pro

  name                    = var.name
  region                  = var.region
  alb_arn_suffix          = one(module.alb[*].arn_suffix)
  target_group_arn_suffix = one(module.alb[*].target_group_arn_suffix)
  cluster_name            = one(module.ecs_service[*].cluster_name)
  service_name            = one(module.ecs_service[*].service_name)
  log_group_name          = module.logs.name
  tags                    = local.tags
}
