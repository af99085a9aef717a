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
  description = "Name of the service; with environment it names every resource (<name>-<environment>)."
  type        = string
  default     = "product-search"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.name))
    error_message = "name must be 3-16 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment (e.g. prod, staging): part of every name, so two environments can share an account and a region. \"prod\" also turns on safer defaults (ECR force_delete off, 30 days of logs)."
  type        = string
  default     = "prod"

  # <name>-<environment> stays within 26 characters: the ALB (32), the access-log bucket prefix (37 with "-alb-logs-").
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,8}$", var.environment))
    error_message = "environment must be 1-9 lower-case letters or digits, starting with a letter (e.g. prod, staging)."
  }
}

variable "allowed_account_ids" {
  description = "AWS account IDs Terraform may act on (the provider refuses any other credentials); null allows any."
  type        = list(string)
  default     = null

  validation {
    condition     = var.allowed_account_ids == null || alltrue([for id in coalesce(var.allowed_account_ids, []) : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must be null or a list of 12-digit account IDs."
  }
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

variable "nat_per_az" {
  description = "With private_egress = nat_gateway: one NAT gateway per availability zone (each zone's tasks egress through their own) instead of one in the first zone; about +0.050 USD/h per extra zone. One gateway is a single point of failure for egress (image pulls, logs, the catalog copy) when its zone fails."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "ACM certificate (in this region) for HTTPS on 443 (80 then redirects); it must cover domain_name, which is then required. Null serves plain HTTP on 80."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || var.domain_name != null
    error_message = "certificate_arn needs domain_name: no certificate covers the load balancer's own *.elb.amazonaws.com name."
  }
}

variable "acm_certificate" {
  description = "With domain_name and route53_zone_id set and no certificate_arn: request an ACM certificate for domain_name, validate it with DNS records in that zone, and serve HTTPS with it (80 redirects). False: plain HTTP on the domain unless certificate_arn is given."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Name clients use, e.g. search.example.com; the URLs are built from it. With route53_zone_id an alias record is created; without it, point the name at alb_dns_name yourself."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as search.example.com."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone that holds domain_name; when set, an alias A record points domain_name at the load balancer."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || var.domain_name != null
    error_message = "route53_zone_id needs domain_name (the record to create in that zone)."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion; destroy-aws.sh then stops at the load balancer until it is set to false and applied. Null: on in the prod environment, off elsewhere."
  type        = bool
  default     = null
}

variable "ecr_keep_last_images" {
  description = "Images the ECR lifecycle policy keeps."
  type        = number
  default     = 10

  validation {
    condition     = var.ecr_keep_last_images >= 1 && var.ecr_keep_last_images <= 1000 && floor(var.ecr_keep_last_images) == var.ecr_keep_last_images
    error_message = "ecr_keep_last_images must be a whole number from 1 to 1000."
  }
}

variable "ecr_release_tag_prefixes" {
  description = "Tag prefixes of release images the ECR lifecycle policy keeps apart from ecr_keep_last_images (push a release as e.g. v1.4.0-amd64)."
  type        = list(string)
  default     = ["v"]

  validation {
    condition     = alltrue([for p in var.ecr_release_tag_prefixes : can(regex("^[0-9a-zA-Z._-]{1,127}$", p))])
    error_message = "Every ecr_release_tag_prefixes entry must be 1-127 letters, digits, '.', '_' or '-'."
  }
}

variable "ecr_keep_release_images" {
  description = "Release images (ecr_release_tag_prefixes) the ECR lifecycle policy keeps."
  type        = number
  default     = 100

  validation {
    condition     = var.ecr_keep_release_images >= 1 && var.ecr_keep_release_images <= 10000 && floor(var.ecr_keep_release_images) == var.ecr_keep_release_images
    error_message = "ecr_keep_release_images must be a whole number from 1 to 10000."
  }
}

variable "ecr_force_delete" {
  description = "Let destroy delete the ECR repository with its images. Null: true, except in the prod environment."
  type        = bool
  default     = null
}

variable "log_retention_days" {
  description = "Days the container logs are kept. Null: 30 in the prod environment, 7 elsewhere; prod keeps at least 30."
  type        = number
  default     = null

  validation {
    condition     = var.log_retention_days == null || try(var.environment != "prod" || var.log_retention_days >= 30, false)
    error_message = "log_retention_days must be at least 30 in the prod environment."
  }
}

variable "alb_access_logs" {
  description = "Write the load balancer's access logs to a new private S3 bucket (<name>-<environment>-alb-logs-...). Null: on in the prod environment, off elsewhere."
  type        = bool
  default     = null
}

variable "alb_access_logs_retention_days" {
  description = "Days the access logs are kept (alb_access_logs)."
  type        = number
  default     = 90

  validation {
    condition     = var.alb_access_logs_retention_days >= 1 && floor(var.alb_access_logs_retention_days) == var.alb_access_logs_retention_days
    error_message = "alb_access_logs_retention_days must be a whole number >= 1."
  }
}

variable "waf" {
  description = "An AWS WAF web ACL on the load balancer (rate limit per client IP, optional AWS managed rule groups, logging of what it blocks). Null: on in the prod environment, off elsewhere."
  type        = bool
  default     = null
}

variable "waf_managed_rules" {
  description = "AWS managed rule groups in the web ACL (core rule set, known bad inputs): off, count (matches counted and logged, nothing blocked; the default, to see what they would block) or block."
  type        = string
  default     = "count"

  validation {
    condition     = contains(["off", "count", "block"], var.waf_managed_rules)
    error_message = "waf_managed_rules must be off, count or block."
  }
}

variable "waf_logging" {
  description = "Log the requests the web ACL blocked or counted to the CloudWatch Logs group aws-waf-logs-<name>-<environment> (kept log_retention_days)."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per waf_window_s one client IP may send before the web ACL (waf) blocks it; null: no rate rule."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit == null || try(var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit, false)
    error_message = "waf_rate_limit must be null or a whole number from 10 to 2000000000 (AWS WAF's range)."
  }
}

variable "waf_window_s" {
  description = "Window of waf_rate_limit, seconds: 60, 120, 300 or 600."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600], var.waf_window_s)
    error_message = "waf_window_s must be 60, 120, 300 or 600."
  }
}

variable "alarm_sns_topic" {
  description = "Create an SNS topic that every alarm notifies (when it fires and when it clears); also created when alarm_email is set."
  type        = bool
  default     = false
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (AWS sends a confirmation link first); null: none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "alarm_actions" {
  description = "Further ARNs (e.g. an existing SNS topic) notified by the alarms."
  type        = list(string)
  default     = []
}

variable "deployment_alarm_rollback" {
  description = "ECS rolls a deployment back when the 5xx-rate or unhealthy-hosts alarm fires during it (in addition to the circuit breaker)."
  type        = bool
  default     = true
}

# ---- task size and count ----

variable "task_cpu" {
  description = "Fargate task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_cpu)
    error_message = "task_cpu must be a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "task_memory" {
  description = "Fargate task memory in MiB; must suit task_cpu (256: 512, 1024, 2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in 1024 steps; 8192: 16384-61440 in 4096 steps; 16384: 32768-122880 in 8192 steps), and hold the catalog and conn_limit connections (see locals memory_need_mib in main.tf)."
  type        = number
  default     = 512

  # The catalog and the connection pool must fit: product_count x (600 bytes in
  # whole-catalog mode, 150 otherwise), 20 KiB per connection of conn_limit, 32 MiB of
  # base, a quarter of headroom, and 128 MiB for the catalog copier when catalog_s3_uri is set.
  validation {
    condition     = local.memory_need_mib <= var.task_memory
    error_message = "task_memory ${var.task_memory} MiB is too small: product_count ${var.product_count} (${local.whole_catalog ? "whole catalog, about 600 bytes a product" : "scan window, about 150 bytes a product"}) and conn_limit ${var.conn_limit} (about 20 KiB each) need about ${local.memory_need_mib} MiB. Raise task_memory (with a task_cpu that offers it), or lower product_count, conn_limit or the whole-catalog mode (scan_limit > 0)."
  }

  validation {
    condition = contains(lookup({
      "256"   = tolist([512, 1024, 2048])
      "512"   = range(1024, 4097, 1024)
      "1024"  = range(2048, 8193, 1024)
      "2048"  = range(4096, 16385, 1024)
      "4096"  = range(8192, 30721, 1024)
      "8192"  = range(16384, 61441, 4096)
      "16384" = range(32768, 122881, 8192)
    }, tostring(var.task_cpu), []), var.task_memory)
    error_message = "task_memory is not a Fargate size for this task_cpu (256: 512, 1024, 2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in 1024 steps; 8192: 16384-61440 in 4096 steps; 16384: 32768-122880 in 8192 steps)."
  }
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64; scripts/deploy-aws.sh builds the image for it (linux/amd64 or linux/arm64)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "desired_count" {
  description = "Tasks at first deployment."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number >= 0."
  }
}

variable "health_check_grace_period_s" {
  description = "Seconds after a task starts during which failed load balancer health checks are ignored. Null: sized to the catalog, max(60, 30 + 2 x the expected start-up time), which grows with product_count in whole-catalog mode and is short from a snapshot (locals startup_s in main.tf)."
  type        = number
  default     = null

  validation {
    condition     = var.health_check_grace_period_s == null || try(var.health_check_grace_period_s >= 0 && var.health_check_grace_period_s <= 2147483647 && floor(var.health_check_grace_period_s) == var.health_check_grace_period_s, false)
    error_message = "health_check_grace_period_s must be null (sized to the catalog) or a whole number of seconds >= 0."
  }
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled (default), enhanced or disabled (saves its CloudWatch charges)."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enhanced", "enabled", "disabled"], var.container_insights)
    error_message = "container_insights must be enhanced, enabled or disabled."
  }
}

# ---- autoscaling (the original deployment's numbers) ----

variable "min_capacity" {
  description = "Fewest tasks."
  type        = number
  default     = 2

  validation {
    condition     = var.min_capacity >= 1 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number >= 1."
  }
}

variable "max_capacity" {
  description = "Most tasks."
  type        = number
  default     = 4

  validation {
    condition     = var.max_capacity >= 1 && floor(var.max_capacity) == var.max_capacity && var.max_capacity >= var.min_capacity
    error_message = "max_capacity must be a whole number >= 1 and at least min_capacity."
  }
}

variable "cpu_target_percent" {
  description = "Target average CPU of the service, percent."
  type        = number
  default     = 70

  validation {
    condition     = var.cpu_target_percent > 0 && var.cpu_target_percent <= 100
    error_message = "cpu_target_percent must be above 0 and at most 100."
  }
}

variable "scale_in_cooldown_s" {
  description = "Cooldown after a scale-in, seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_in_cooldown_s >= 0
    error_message = "scale_in_cooldown_s must be >= 0."
  }
}

variable "scale_out_cooldown_s" {
  description = "Cooldown after a scale-out, seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_out_cooldown_s >= 0
    error_message = "scale_out_cooldown_s must be >= 0."
  }
}

variable "requests_per_target" {
  description = "Optional second target: ALB requests per target per minute; null turns it off."
  type        = number
  default     = null

  validation {
    condition     = var.requests_per_target == null || try(var.requests_per_target > 0, false)
    error_message = "requests_per_target must be null or a positive number."
  }
}

# ---- load balancer health check (the original deployment's numbers) ----

variable "health_check_interval_s" {
  description = "Seconds between target health checks."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_interval_s >= 5 && var.health_check_interval_s <= 300
    error_message = "health_check_interval_s must be from 5 to 300."
  }
}

variable "healthy_threshold" {
  description = "Successful checks before a target is healthy."
  type        = number
  default     = 2

  validation {
    condition     = var.healthy_threshold >= 2 && var.healthy_threshold <= 10
    error_message = "healthy_threshold must be from 2 to 10."
  }
}

# ---- server settings (the configuration), passed as environment variables ----

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
  description = "SCAN_LIMIT: products checked per search; 0 = the whole catalog (an index is built at start; /health answers 503 until it is). Null: the server's default, 100 for a generated catalog and the whole catalog for one from catalog_s3_uri."
  type        = number
  default     = null

  validation {
    condition     = var.scan_limit == null || try(var.scan_limit >= 0 && var.scan_limit <= 10000000 && floor(var.scan_limit) == var.scan_limit, false)
    error_message = "scan_limit must be null or a whole number from 0 to 10000000."
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
  description = "DRAIN_S: seconds /health answers 503 after SIGTERM before the listener closes. On ECS the target is already out of the load balancer by then (ECS deregisters it and waits deregistration_delay_s before SIGTERM), so 0-2. stopTimeout is DRAIN_S + 10 s."
  type        = number
  default     = 1

  validation {
    condition     = var.drain_s >= 0 && var.drain_s <= 2 && floor(var.drain_s) == var.drain_s
    error_message = "drain_s must be a whole number from 0 to 2: ECS sends SIGTERM only after the target has drained from the load balancer (deregistration_delay_s), so a longer DRAIN_S only adds dead time to every deployment step and scale-in. Size deregistration_delay_s to the longest request instead."
  }
}

variable "deregistration_delay_s" {
  description = "Seconds the load balancer lets requests in flight on a deregistering task finish before ECS stops it (the target group's deregistration delay; it ends at once when none are in flight). The longest request is a search answered in milliseconds, so 5 s is ample."
  type        = number
  default     = 5

  validation {
    condition     = var.deregistration_delay_s >= 0 && var.deregistration_delay_s <= 3600 && floor(var.deregistration_delay_s) == var.deregistration_delay_s
    error_message = "deregistration_delay_s must be a whole number from 0 to 3600 (the load balancer's limit)."
  }
}

variable "access_log" {
  description = "ACCESS_LOG: one JSON line per request (CloudWatch Logs ingestion is billed per GB; see docs)."
  type        = bool
  default     = false
}

variable "product_count" {
  description = "PRODUCT_COUNT: generated catalog size. With catalog_s3_uri the server reads the file instead, and this is the number of products in it: it sizes the memory check and the start-up time (grace period, container health check)."
  type        = number
  default     = 100000

  validation {
    condition     = var.product_count >= 1 && var.product_count <= 10000000 && floor(var.product_count) == var.product_count
    error_message = "product_count must be a whole number from 1 to 10000000."
  }
}

variable "ui" {
  description = "UI: serve the search page at GET / (on/off). Null: off in the prod environment, on elsewhere."
  type        = bool
  default     = null
}

# ---- the catalog from S3 (optional) ----

variable "catalog_s3_uri" {
  description = "s3://bucket/key of the catalog the service serves instead of a generated one: a JSON or JSON Lines products file (PRODUCTS_FILE), or a snapshot written by product-search --write-snapshot (SNAPSHOT_FILE; ready in under a second). An init container copies it before the service starts; a sidecar copies it again when its ETag changes (catalog_refresh_s). Null: a generated catalog of product_count products."
  type        = string
  default     = null

  validation {
    condition     = var.catalog_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^*]*[^/*]$", var.catalog_s3_uri))
    error_message = "catalog_s3_uri must be null or s3://<bucket>/<key> of one object (no wildcard, not ending in /)."
  }
}

variable "catalog_format" {
  description = "What catalog_s3_uri holds: products (PRODUCTS_FILE) or snapshot (SNAPSHOT_FILE). Null: snapshot when the key ends in .snap or .snapshot, else products."
  type        = string
  default     = null

  validation {
    condition     = var.catalog_format == null || contains(["products", "snapshot"], coalesce(var.catalog_format, "none"))
    error_message = "catalog_format must be null, products or snapshot."
  }
}

variable "catalog_refresh_s" {
  description = "Seconds between the sidecar's checks of the catalog object's ETag (a changed object is copied and renamed over the file); 0: no sidecar, the object is copied once when a task starts."
  type        = number
  default     = 60

  validation {
    condition     = var.catalog_refresh_s == 0 || (var.catalog_refresh_s >= 10 && var.catalog_refresh_s <= 86400 && floor(var.catalog_refresh_s) == var.catalog_refresh_s)
    error_message = "catalog_refresh_s must be 0 (no sidecar) or a whole number of seconds from 10 to 86400."
  }
}

variable "catalog_reload_s" {
  description = "RELOAD_S: seconds between the server's checks of the catalog file's size, mtime and inode (it reloads atomically when they change); used with catalog_s3_uri."
  type        = number
  default     = 5

  validation {
    condition     = var.catalog_reload_s >= 1 && var.catalog_reload_s <= 3600 && floor(var.catalog_reload_s) == var.catalog_reload_s
    error_message = "catalog_reload_s must be a whole number of seconds from 1 to 3600."
  }
}

variable "catalog_image" {
  description = "AWS CLI v2 image of the catalog's init container and sidecar (the official one, pinned). With private_egress = vpc_endpoints there is no route to a public registry: use a copy in ECR (e.g. an ECR pull-through cache of ECR Public)."
  type        = string
  default     = "public.ecr.aws/aws-cli/aws-cli:2.32.9"

  validation {
    condition     = length(var.catalog_image) > 0 && !can(regex("\\s", var.catalog_image)) && (var.catalog_s3_uri == null || var.private_egress != "vpc_endpoints" || !startswith(var.catalog_image, "public.ecr.aws/"))
    error_message = "catalog_image must be an image reference; with private_egress = vpc_endpoints the tasks cannot reach public.ecr.aws, so give an ECR copy of the AWS CLI image."
  }
}
