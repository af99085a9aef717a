# product-search on AWS: ECR, a VPC, an internet-facing ALB, ECS Fargate tasks in
# private subnets, target-tracking autoscaling, a dashboard and alarms; optionally
# a domain with HTTPS, ALB access logs, an AWS WAF rate limit, alarm e-mails.
# Apply in two steps (scripts/deploy-aws.sh does both):
#   terraform apply -target=module.ecr             # the repository, to push the image to
#   terraform apply -var image_tag=<pushed tag>    # everything else
#
# Every name is <name>-<environment>, so a second environment fits in the same
# account and region; names that IAM and CloudWatch keep account-wide (roles,
# the dashboard) also carry the region (modules iam and observability).

locals {
  name = "${var.name}-${var.environment}"
  tags = { Service = var.name }

  prod = var.environment == "prod"

  # HTTPS: a ready certificate (certificate_arn), or one issued here and validated in
  # Route 53 when domain_name and route53_zone_id are set (acm_certificate).
  acm              = var.certificate_arn == null && var.acm_certificate && var.domain_name != null && var.route53_zone_id != null
  https            = var.certificate_arn != null || local.acm
  ecr_force_delete = coalesce(var.ecr_force_delete, !local.prod)

  # Safe production defaults, each a variable that can say otherwise.
  deletion_protection = coalesce(var.deletion_protection, local.prod)
  alb_access_logs     = coalesce(var.alb_access_logs, local.prod)
  waf                 = coalesce(var.waf, local.prod)
  log_retention_days  = coalesce(var.log_retention_days, local.prod ? 30 : 7)

  ui = coalesce(var.ui, !local.prod)

  # The catalog from S3: bucket, key and format (a snapshot by its suffix unless catalog_format says).
  catalog_parts  = var.catalog_s3_uri == null ? null : regex("^s3://([^/]+)/(.+)$", var.catalog_s3_uri)
  catalog_format = var.catalog_s3_uri == null ? null : coalesce(var.catalog_format, can(regex("\\.(snap|snapshot)$", var.catalog_s3_uri)) ? "snapshot" : "products")
  catalog = var.catalog_s3_uri == null ? null : {
    bucket    = local.catalog_parts[0]
    key       = local.catalog_parts[1]
    format    = local.catalog_format
    refresh_s = var.catalog_refresh_s
    reload_s  = var.catalog_reload_s
    image     = var.catalog_image
  }

  # Whole-catalog mode: SCAN_LIMIT=0, which is also the server's default for a catalog file.
  whole_catalog = var.scan_limit == 0 || (var.scan_limit == null && var.catalog_s3_uri != null)

  # Memory (MiB), from the measured peaks (docs/performance.md): whole catalog 55 MB at
  # 100,000 products, 556 MB at 1,000,000, 6.29 GB at 10,000,000 (600 to 630 bytes a
  # product: the quarter of headroom below covers the difference); a scan window about 140 bytes a product (1,000,000 from a file: 134 MB);
  # about 20 KiB per open connection (10,000 idle ones took 17.5 to 223 MB). Plus 32 MiB
  # of base, a quarter of headroom, and 128 MiB for the catalog copier (the AWS CLI).
  memory_need_mib = ceil((32 + var.product_count * (local.whole_catalog ? 600 : 150) / 1048576 + var.conn_limit * 20 / 1024) * 1.25 + (var.catalog_s3_uri == null ? 0 : 128))

  # Seconds from start to /health 200, measured on a 2-core machine: the whole-catalog index
  # 0.2 s at 100,000 products, 2-3 s at 1,000,000, about 45 s at 10,000,000 on two threads
  # (8 us a product allows for one vCPU); a file loads in 1.5 us a product; a snapshot is
  # ready in under a second. A task of less than one vCPU (1024 units) takes longer in
  # proportion.
  startup_s = ceil(max(1, 1024 / var.task_cpu) * (
    local.catalog_format == "snapshot" ? 1 :
    var.product_count * ((local.whole_catalog ? 8 : 0) + (var.catalog_s3_uri == null ? 0.5 : 1.5)) / 1000000
  ) + 2)

  server_environment = merge(
    {
      THREADS        = tostring(var.server_threads)
      MAX_RESULTS    = tostring(var.max_results)
      CONN_LIMIT     = tostring(var.conn_limit)
      CONN_TIMEOUT_S = tostring(var.conn_timeout_s)
      ACCESS_LOG     = var.access_log ? "on" : "off"
      UI             = local.ui ? "on" : "off"
    },
    var.scan_limit == null ? {} : { SCAN_LIMIT = tostring(var.scan_limit) },
    # With a catalog file the server reads the file; PRODUCT_COUNT only sizes the task here.
    var.catalog_s3_uri != null ? {} : { PRODUCT_COUNT = tostring(var.product_count) },
  )
}

module "ecr" {
  source = "../../modules/ecr"

  name                 = local.name
  keep_last_images     = var.ecr_keep_last_images
  release_tag_prefixes = var.ecr_release_tag_prefixes
  keep_release_images  = var.ecr_keep_release_images
  force_delete         = local.ecr_force_delete
  tags                 = local.tags
}

# Stops a full apply without an image tag before anything is created.
resource "terraform_data" "image_tag_given" {
  input = var.image_tag

  lifecycle {
    precondition {
      condition     = var.image_tag != null
      error_message = "Set image_tag (the tag pushed to ECR), e.g. -var image_tag=$(git rev-parse --short HEAD), or use scripts/deploy-aws.sh."
    }
  }
}

module "network" {
  source = "../../modules/network"

  name           = local.name
  private_egress = var.private_egress
  nat_per_az     = var.nat_per_az
  tags           = local.tags
}

module "alb_logs" {
  source = "../../modules/alb_logs"
  count  = local.alb_access_logs ? 1 : 0

  name           = local.name
  retention_days = var.alb_access_logs_retention_days
  force_destroy  = !local.prod
  tags           = local.tags
}

module "certificate" {
  source = "../../modules/certificate"
  count  = local.acm ? 1 : 0

  domain_name = var.domain_name
  zone_id     = var.route53_zone_id
  tags        = local.tags
}

module "alb" {
  source = "../../modules/alb"

  name                    = local.name
  vpc_id                  = module.network.vpc_id
  public_subnet_ids       = module.network.public_subnet_ids
  https                   = local.https
  certificate_arn         = local.acm ? one(module.certificate[*].certificate_arn) : var.certificate_arn
  domain_name             = var.domain_name
  deletion_protection     = local.deletion_protection
  access_logs_bucket      = one(module.alb_logs[*].bucket)
  access_logs_prefix      = one(module.alb_logs[*].prefix)
  target_port             = 8080
  health_check_path       = "/health"
  health_check_interval_s = var.health_check_interval_s
  healthy_threshold       = var.healthy_threshold
  deregistration_delay_s  = var.deregistration_delay_s
  idle_timeout_s          = var.conn_timeout_s - 5
  tags                    = local.tags
}

# Clients reach the service under var.domain_name: an alias record in the given zone.
resource "aws_route53_record" "alias" {
  count = var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = module.alb.dns_name
    zone_id                = module.alb.zone_id
    evaluate_target_health = true
  }
}

module "waf" {
  source = "../../modules/waf"
  count  = local.waf ? 1 : 0

  name               = local.name
  alb_arn            = module.alb.arn
  rate_limit         = var.waf_rate_limit
  window_s           = var.waf_window_s
  managed_rules      = var.waf_managed_rules
  logging            = var.waf_logging
  log_retention_days = local.log_retention_days
  tags               = local.tags
}

module "iam" {
  source = "../../modules/iam"

  name           = local.name
  catalog_object = local.catalog == null ? null : { bucket = local.catalog.bucket, key = local.catalog.key }
  tags           = local.tags
}

module "logs" {
  source = "../../modules/logs"

  name              = "/ecs/${local.name}"
  retention_in_days = local.log_retention_days
  tags              = local.tags
}

module "ecs_service" {
  source = "../../modules/ecs_service"

  name                        = local.name
  region                      = var.region
  image                       = "${module.ecr.repository_url}:${terraform_data.image_tag_given.output}"
  cpu                         = var.task_cpu
  memory                      = var.task_memory
  cpu_architecture            = var.cpu_architecture
  container_port              = 8080
  environment                 = local.server_environment
  drain_s                     = var.drain_s
  desired_count               = var.desired_count
  health_check_grace_period_s = var.health_check_grace_period_s
  startup_s                   = local.startup_s
  catalog                     = local.catalog
  container_insights          = var.container_insights
  vpc_id                      = module.network.vpc_id
  private_subnet_ids          = module.network.private_subnet_ids
  alb_security_group_id       = module.alb.security_group_id
  target_group_arn            = module.alb.target_group_arn
  execution_role_arn          = module.iam.execution_role_arn
  task_role_arn               = module.iam.task_role_arn
  log_group_name              = module.logs.name
  deployment_alarm_names      = module.observability.deployment_alarm_names
  deployment_alarm_rollback   = var.deployment_alarm_rollback
  tags                        = local.tags

  # The listener must exist before the service registers targets in its group.
  # Private egress (NAT route or VPC endpoints) and the execution role's policy
  # come in through module.network.private_subnet_ids and
  # module.iam.execution_role_arn, whose outputs wait for them.
  depends_on = [module.alb]
}

module "autoscaling" {
  source = "../../modules/autoscaling"

  cluster_name            = module.ecs_service.cluster_name
  service_name            = module.ecs_service.service_name
  min_capacity            = var.min_capacity
  max_capacity            = var.max_capacity
  cpu_target_percent      = var.cpu_target_percent
  scale_in_cooldown_s     = var.scale_in_cooldown_s
  scale_out_cooldown_s    = var.scale_out_cooldown_s
  requests_per_target     = var.requests_per_target
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
}

# The ECS service rolls back on two of these alarms, so they come first: the
# cluster and the service are named local.name by module ecs_service.
module "observability" {
  source = "../../modules/observability"

  name                    = local.name
  region                  = var.region
  alb_arn_suffix          = module.alb.arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  cluster_name            = local.name
  service_name            = local.name
  log_group_name          = module.logs.name
  alarm_actions           = var.alarm_actions
  sns_topic               = var.alarm_sns_topic
  alarm_email             = var.alarm_email
  min_running_tasks       = var.container_insights == "disabled" ? 0 : var.min_capacity
  tags                    = local.tags
}
