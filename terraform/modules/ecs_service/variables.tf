variable "name" {
  description = "Name of the cluster, service, task family and container."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,200}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits, '-' and '_' (at most 201 characters)."
  }
}

variable "region" {
  description = "AWS region of the log group (for the awslogs driver)."
  type        = string
}

variable "image" {
  description = "Full container image reference, e.g. <account>.dkr.ecr.<region>.amazonaws.com/product-search:<git-sha>."
  type        = string

  validation {
    condition     = length(var.image) > 0 && !can(regex("\\s", var.image))
    error_message = "image must be a non-empty image reference without white space."
  }
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory in MiB; must be a combination Fargate allows for the chosen cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in 1024 steps; 8192: 16384-61440 in 4096 steps; 16384: 32768-122880 in 8192 steps). The task definition's precondition checks the pair."
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && var.memory % 512 == 0
    error_message = "memory must be a multiple of 512 MiB from 512 to 122880."
  }
}

variable "cpu_architecture" {
  description = "X86_64, or ARM64 (Graviton, about 20 % cheaper; needs an arm64 image)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "container_port" {
  description = "Port the server listens on inside the container (passed as PORT)."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "container_port must be from 1 to 65535."
  }
}

variable "environment" {
  description = "Server settings passed as environment variables (THREADS, SCAN_LIMIT, MAX_RESULTS, CONN_LIMIT, CONN_TIMEOUT_S, ACCESS_LOG, PRODUCT_COUNT, UI, ...). PORT and DRAIN_S are set from container_port and drain_s; PRODUCTS_FILE or SNAPSHOT_FILE and RELOAD_S from catalog."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment), "PORT")
    error_message = "Set the port through container_port, not environment.PORT."
  }
}

variable "drain_s" {
  description = "The server's DRAIN_S: seconds /health answers 503 after SIGTERM before the listener closes. ECS deregisters the task from the target group and waits out the deregistration delay before SIGTERM, so nothing routes to it any more: 0-2."
  type        = number
  default     = 1

  validation {
    condition     = var.drain_s >= 0 && var.drain_s <= 2 && floor(var.drain_s) == var.drain_s
    error_message = "drain_s must be a whole number from 0 to 2: ECS sends SIGTERM only after the target has drained from the load balancer, so a longer DRAIN_S only adds dead time to every task stop (size the target group's deregistration delay to the longest request instead)."
  }
}

variable "stop_timeout_s" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL (Fargate maximum 120). Null: drain_s plus 10 s for in-flight requests."
  type        = number
  default     = null

  validation {
    condition     = try(var.stop_timeout_s >= 2 && var.stop_timeout_s <= 120, var.stop_timeout_s == null)
    error_message = "stop_timeout_s must be null or from 2 to 120."
  }
}

variable "desired_count" {
  description = "Tasks to run at first (autoscaling adjusts it afterwards; changes made by autoscaling are not reverted)."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number >= 0."
  }
}

variable "health_check_grace_period_s" {
  description = "Seconds after a task starts during which failed load balancer health checks are ignored. Null: sized to startup_s, max(60, 30 + 2 x startup_s)."
  type        = number
  default     = null

  validation {
    condition     = var.health_check_grace_period_s == null || try(var.health_check_grace_period_s >= 0 && var.health_check_grace_period_s <= 2147483647, false)
    error_message = "health_check_grace_period_s must be null or >= 0."
  }
}

variable "startup_s" {
  description = "Expected seconds from the container's start to /health 200 (the catalog loaded and, in whole-catalog mode, its index built; from a snapshot under a second). Sizes the grace period and the container health check's start period, interval and retries."
  type        = number
  default     = 10

  validation {
    condition     = var.startup_s >= 0 && var.startup_s <= 3600
    error_message = "startup_s must be from 0 to 3600."
  }
}

variable "catalog" {
  description = <<-EOT
    The catalog from an S3 object, or null (the server generates PRODUCT_COUNT products):
    bucket and key of the object; format "products" (JSON or JSON Lines, PRODUCTS_FILE) or
    "snapshot" (SNAPSHOT_FILE); refresh_s, seconds between the sidecar's ETag checks (0: no
    sidecar, the object is copied once at start); reload_s, the server's RELOAD_S; image, an
    AWS CLI v2 image for the init container and the sidecar. The task role needs
    s3:GetObject on the object (module iam, catalog_object).
  EOT
  type = object({
    bucket    = string
    key       = string
    format    = string
    refresh_s = number
    reload_s  = number
    image     = string
  })
  default = null

  validation {
    condition     = var.catalog == null || try(contains(["products", "snapshot"], var.catalog.format) && var.catalog.refresh_s >= 0 && var.catalog.reload_s >= 1 && length(var.catalog.key) > 0 && !endswith(var.catalog.key, "/"), false)
    error_message = "catalog: format must be products or snapshot, refresh_s >= 0, reload_s >= 1, and key an object key (not ending in /)."
  }
}

variable "container_insights" {
  description = "Container Insights on the cluster: enhanced, enabled or disabled."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enhanced", "enabled", "disabled"], var.container_insights)
    error_message = "container_insights must be enhanced, enabled or disabled."
  }
}

variable "vpc_id" {
  description = "VPC of the tasks' security group."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "Give at least one private subnet."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer: the only source admitted to the container port."
  type        = string
}

variable "target_group_arn" {
  description = "ARN of the ip target group the service registers its tasks in."
  type        = string
}

variable "execution_role_arn" {
  description = "Task execution role (pulls the image, writes logs)."
  type        = string
}

variable "task_role_arn" {
  description = "Task role of the application."
  type        = string
}

variable "log_group_name" {
  description = "CloudWatch Logs group for the awslogs driver."
  type        = string
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms ECS watches during a deployment (e.g. the 5xx-rate and unhealthy-hosts alarms); empty turns deployment alarms off."
  type        = list(string)
  default     = []
}

variable "deployment_alarm_rollback" {
  description = "Roll the deployment back to the last completed one when a deployment alarm fires."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource of this module."
  type        = map(string)
  default     = {}
}
