# ---- deployment ----

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "name" {
  description = "Name of the service; prefixes every resource."
  type        = string
  default     = "product-search"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,21}[a-z0-9]$", var.name))
    error_message = "name must be 3-23 lower-case letters, digits or hyphens, starting with a letter (the target group name adds \"-tg\")."
  }
}

variable "environment" {
  description = "Environment tag (e.g. prod, staging)."
  type        = string
  default     = "prod"
}

variable "image_tag" {
  description = "Tag of the image in the ECR repository to run (scripts/deploy-aws.sh passes the git commit). Required for every apply except the first, ECR-only one."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid image tag (letters, digits, '_', '.', '-'; at most 128)."
  }
}

variable "private_egress" {
  description = "Egress of the private subnets: nat_gateway (default, cheaper: ~0.050 USD/h) or vpc_endpoints (~0.060 USD/h in 2 zones; no internet route)."
  type        = string
  default     = "nat_gateway"

  validation {
    condition     = contains(["nat_gateway", "vpc_endpoints"], var.private_egress)
    error_message = "private_egress must be nat_gateway or vpc_endpoints."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (80 then redirects). Null serves plain HTTP on 80."
  type        = string
  default     = null
}

variable "ecr_keep_last_images" {
  description = "Images the ECR lifecycle policy keeps."
  type        = number
  default     = 10
}

variable "ecr_force_delete" {
  description = "Let destroy delete the ECR repository with its images."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days the container logs are kept."
  type        = number
  default     = 7
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified by the alarms."
  type        = list(string)
  default     = []
}

# ---- task size and count ----

variable "task_cpu" {
  description = "Fargate task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Fargate task memory in MiB."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (the image must match)."
  type        = string
  default     = "X86_64"
}

variable "desired_count" {
  description = "Tasks at first deployment."
  type        = number
  default     = 2
}

variable "health_check_grace_period_s" {
  description = "Seconds after a task starts during which failed load balancer health checks are ignored."
  type        = number
  default     = 60
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled (default), enhanced or disabled (saves its CloudWatch charges)."
  type        = string
  default     = "enabled"
}

# ---- autoscaling (the original deployment's numbers) ----

variable "min_capacity" {
  description = "Fewest tasks."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Most tasks."
  type        = number
  default     = 4
}

variable "cpu_target_percent" {
  description = "Target average CPU of the service, percent."
  type        = number
  default     = 70
}

variable "scale_in_cooldown_s" {
  description = "Cooldown after a scale-in, seconds."
  type        = number
  default     = 300
}

variable "scale_out_cooldown_s" {
  description = "Cooldown after a scale-out, seconds."
  type        = number
  default     = 300
}

variable "requests_per_target" {
  description = "Optional second target: ALB requests per target per minute; null turns it off."
  type        = number
  default     = null
}

# ---- load balancer health check (the original deployment's numbers) ----

variable "health_check_interval_s" {
  description = "Seconds between target health checks."
  type        = number
  default     = 30
}

variable "healthy_threshold" {
  description = "Successful checks before a target is healthy."
  type        = number
  default     = 2
}

# ---- server settings (SPEC section 4), passed as environment variables ----

variable "server_threads" {
  description = "THREADS: worker threads per task (0.25 vCPU tasks see 2 CPUs)."
  type        = number
  default     = 2

  validation {
    condition     = var.server_threads >= 1 && var.server_threads <= 256 && floor(var.server_threads) == var.server_threads
    error_message = "server_threads must be a whole number from 1 to 256."
  }
}

variable "scan_limit" {
  description = "SCAN_LIMIT: products checked per search; 0 = the whole catalog."
  type        = number
  default     = 100

  validation {
    condition     = var.scan_limit >= 0 && floor(var.scan_limit) == var.scan_limit
    error_message = "scan_limit must be a whole number >= 0."
  }
}

variable "max_results" {
  description = "MAX_RESULTS: default limit of a search (1-100)."
  type        = number
  default     = 20

  validation {
    condition     = var.max_results >= 1 && var.max_results <= 100 && floor(var.max_results) == var.max_results
    error_message = "max_results must be a whole number from 1 to 100."
  }
}

variable "conn_limit" {
  description = "CONN_LIMIT: open connections per task at most."
  type        = number
  default     = 10000

  validation {
    condition     = var.conn_limit >= 1 && var.conn_limit <= 60000 && floor(var.conn_limit) == var.conn_limit
    error_message = "conn_limit must be a whole number from 1 to 60000 (the task's nofile limit is 65535)."
  }
}

variable "conn_timeout_s" {
  description = "CONN_TIMEOUT_S: idle connection timeout; the ALB idle timeout is kept 5 s below it."
  type        = number
  default     = 30

  validation {
    condition     = var.conn_timeout_s >= 6 && var.conn_timeout_s <= 4000 && floor(var.conn_timeout_s) == var.conn_timeout_s
    error_message = "conn_timeout_s must be a whole number from 6 to 4000."
  }
}

variable "drain_s" {
  description = "DRAIN_S: seconds /health answers 503 after SIGTERM; also the target group's deregistration delay. stopTimeout is DRAIN_S + 10 s."
  type        = number
  default     = 15

  validation {
    condition     = var.drain_s >= 0 && var.drain_s <= 110 && floor(var.drain_s) == var.drain_s
    error_message = "drain_s must be a whole number from 0 to 110 (Fargate's stopTimeout is at most 120 s)."
  }
}

variable "access_log" {
  description = "ACCESS_LOG: one JSON line per request (CloudWatch Logs ingestion is billed per GB; see docs)."
  type        = bool
  default     = false
}

variable "product_count" {
  description = "PRODUCT_COUNT: generated catalog size."
  type        = number
  default     = 100000

  validation {
    condition     = var.product_count >= 1 && var.product_count <= 10000000 && floor(var.product_count) == var.product_count
    error_message = "product_count must be a whole number from 1 to 10000000."
  }
}
