# ECS cluster (Container Insights), the Fargate task definition of the server
# and the service behind the load balancer, in the private subnets.

locals {
  # Fargate task sizes: memory (MiB) allowed for each cpu value, from AWS's table
  # "Task CPU and memory" (Amazon ECS Developer Guide, task definition parameters).
  fargate_memory = {
    256   = tolist([512, 1024, 2048])
    512   = range(1024, 4097, 1024)
    1024  = range(2048, 8193, 1024)
    2048  = range(4096, 16385, 1024)
    4096  = range(8192, 30721, 1024)
    8192  = range(16384, 61441, 4096)
    16384 = range(32768, 122881, 8192)
  }

  # ECS deregisters the task from the target group and waits out the deregistration delay
  # (requests in flight finish), then SIGTERM -> /health 503 for drain_s (0-2: nothing
  # routes here any more) -> listener closes -> anything still in flight finishes.
  stop_timeout = coalesce(var.stop_timeout_s, min(120, var.drain_s + 10))

  # Readiness: /health answers 503 "starting" until the catalog is loaded and, in
  # whole-catalog mode, its index built; var.startup_s is the caller's estimate of that.
  # The load balancer's failed checks are ignored for the grace period, the container
  # health check's for its start period (at most 300 s, then interval x retries more).
  grace_period      = coalesce(var.health_check_grace_period_s, max(60, 30 + ceil(2 * var.startup_s)))
  hc_start_period   = min(300, 10 + ceil(2 * var.startup_s))
  hc_interval       = var.startup_s > 140 ? 30 : 10
  hc_retries        = min(10, max(3, ceil((20 + 2 * var.startup_s - local.hc_start_period) / local.hc_interval)))
  hc_tolerance_s    = local.hc_start_period + local.hc_interval * local.hc_retries
  hc_tolerance_need = 10 + 2 * var.startup_s

  # The catalog from S3 (var.catalog): an init container copies the object into the
  # task volume "catalog" before the service starts; a sidecar copies it again when its
  # ETag changes, to a temporary name then rename, and the service reloads it (RELOAD_S).
  catalog         = var.catalog != null
  catalog_sidecar = local.catalog && try(var.catalog.refresh_s > 0, false)
  catalog_file    = local.catalog ? "/catalog/${basename(var.catalog.key)}" : null
  catalog_environment = local.catalog ? {
    (var.catalog.format == "snapshot" ? "SNAPSHOT_FILE" : "PRODUCTS_FILE") = local.catalog_file
    RELOAD_S                                                               = tostring(var.catalog.reload_s)
  } : {}

  environment = merge(var.environment, local.catalog_environment, {
    PORT    = tostring(var.container_port)
    DRAIN_S = tostring(var.drain_s)
  })

  log_options = {
    awslogs-group   = var.log_group_name
    awslogs-region  = var.region
    mode            = "non-blocking"
    max-buffer-size = "4m"
  }

  container = {
    name                   = var.name
    image                  = var.image
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    stopTimeout            = local.stop_timeout
    portMappings = [{
      containerPort = var.container_port
      protocol      = "tcp"
      name          = "http"
      appProtocol   = "http"
    }]
    environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    # The catalog is only read here; it starts once catalog-fetch has copied it.
    mountPoints = local.catalog ? [{ sourceVolume = "catalog", containerPath = "/catalog", readOnly = true }] : []
    dependsOn   = local.catalog ? [{ containerName = "catalog-fetch", condition = "SUCCESS" }] : null
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/product-search", "--healthcheck"]
      interval    = local.hc_interval
      timeout     = 5
      retries     = local.hc_retries
      startPeriod = local.hc_start_period
    }
    ulimits = [{
      name      = "nofile"
      softLimit = 65535
      hardLimit = 65535
    }]
    linuxParameters = {
      capabilities = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = "ecs" })
    }
  }

  catalog_container_environment = local.catalog ? [
    { name = "CATALOG_BUCKET", value = var.catalog.bucket },
    { name = "CATALOG_KEY", value = var.catalog.key },
    { name = "CATALOG_FILE", value = local.catalog_file },
    { name = "CATALOG_REFRESH_S", value = tostring(var.catalog.refresh_s) },
    { name = "HOME", value = "/tmp" },
  ] : []

  # Init container: one copy, then exit 0 (non-essential, or its exit would stop the task).
  catalog_fetch_container = {
    name                   = "catalog-fetch"
    image                  = try(var.catalog.image, "")
    essential              = false
    readonlyRootFilesystem = true
    entryPoint             = ["/bin/sh", "-c"]
    command                = [file("${path.module}/catalog.sh")]
    environment            = concat(local.catalog_container_environment, [{ name = "CATALOG_MODE", value = "fetch" }])
    mountPoints = [
      { sourceVolume = "catalog", containerPath = "/catalog", readOnly = false },
      { sourceVolume = "catalog-tmp", containerPath = "/tmp", readOnly = false },
    ]
    linuxParameters = {
      capabilities = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = "catalog" })
    }
  }

  # Sidecar: polls the object's ETag every refresh_s and replaces the file when it changed
  # (non-essential: a failing poller must not stop the service, which keeps its catalog).
  catalog_sync_container = {
    name                   = "catalog-sync"
    image                  = try(var.catalog.image, "")
    essential              = false
    readonlyRootFilesystem = true
    entryPoint             = ["/bin/sh", "-c"]
    command                = [file("${path.module}/catalog.sh")]
    environment            = concat(local.catalog_container_environment, [{ name = "CATALOG_MODE", value = "sync" }])
    dependsOn              = [{ containerName = "catalog-fetch", condition = "SUCCESS" }]
    mountPoints = [
      { sourceVolume = "catalog", containerPath = "/catalog", readOnly = false },
      { sourceVolume = "catalog-tmp", containerPath = "/tmp", readOnly = false },
    ]
    linuxParameters = {
      capabilities = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = "catalog" })
    }
  }

  # A for over a tuple keeps the three (differently shaped) objects as they are; a
  # conditional between lists of them would need one common type.
  containers = [
    for k, c in [local.container, local.catalog_fetch_container, local.catalog_sync_container] : c
    if[true, local.catalog, local.catalog_sidecar][k]
  ]
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode(local.containers)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Task storage for the catalog (and the copier's scratch): Fargate ephemeral storage.
  dynamic "volume" {
    for_each = local.catalog ? ["catalog", "catalog-tmp"] : []
    content {
      name = volume.value
    }
  }

  # An earlier revision stays registered when a new one replaces it, so that a hand
  # rollback (aws ecs update-service --task-definition <family>:<revision>) works.
  skip_destroy = true

  tags = var.tags

  lifecycle {
    # Checked at plan time: RegisterTaskDefinition would refuse the pair only at apply.
    precondition {
      condition     = contains(lookup(local.fargate_memory, tostring(var.cpu), []), var.memory)
      error_message = "memory ${var.memory} MiB is not a Fargate size for cpu ${var.cpu}; allowed: ${join(", ", [for m in lookup(local.fargate_memory, tostring(var.cpu), []) : tostring(m)])}."
    }

    # The container health check tolerates at most 300 s of start period plus 10 x 30 s.
    precondition {
      condition     = local.hc_tolerance_s >= local.hc_tolerance_need
      error_message = "startup_s ${var.startup_s} is longer than the container health check can wait (${local.hc_tolerance_s} s): serve the catalog from a snapshot (ready in under a second) or give the task more CPU."
    }
  }
}

resource "aws_security_group" "service" {
  name        = "${var.name}-service"
  description = "${var.name} tasks: container port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-service" })
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.service.id
  description                  = "Container port from the load balancer"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# HTTPS out: ECR, S3 (image layers) and CloudWatch Logs, through the NAT gateway or the VPC endpoints.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.service.id
  description       = "HTTPS to ECR, S3 and CloudWatch Logs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = local.grace_period
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Roll a deployment back when one of these CloudWatch alarms fires during it.
  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarm_names = var.deployment_alarm_names
      enable      = true
      rollback    = var.deployment_alarm_rollback
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.name
    container_port   = var.container_port
  }

  tags = var.tags

  # The group's rules are resources of their own: without these the first task can
  # start before its egress (image pull, logs) or the load balancer's ingress exists.
  depends_on = [
    aws_vpc_security_group_egress_rule.https,
    aws_vpc_security_group_ingress_rule.from_alb,
  ]

  lifecycle {
    # Autoscaling owns the running count after the first apply.
    ignore_changes = [desired_count]

    # wait_for_steady_state also returns once the circuit breaker has rolled a failed
    # deployment back (steady again, on the old revision), and apply would report
    # success (AWS provider issues 19519, 20858): the service read back after the wait
    # must run the task definition this apply registered.
    postcondition {
      condition     = self.task_definition == aws_ecs_task_definition.this.arn
      error_message = "The ECS service runs ${self.task_definition}, not ${aws_ecs_task_definition.this.arn}: the deployment circuit breaker rolled the deployment back (its tasks did not start or failed their health checks). See the service's events (aws ecs describe-services) and the log group ${var.log_group_name}."
    }
  }
}
