variable "localstack_endpoint" {
  description = "URL of LocalStack's edge port, used for every AWS service endpoint and in the invoke URLs."
  type        = string
  default     = "http://localhost:4566"

  validation {
    condition     = can(regex("^https?://[^/:?#\\s]+(:[0-9]{1,5})?/?$", var.localstack_endpoint))
    error_message = "localstack_endpoint must be a scheme, host and optional port, e.g. http://localhost:4566."
  }
}

variable "region" {
  description = "AWS region LocalStack emulates."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. us-east-1."
  }
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "product-search"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "backend_url" {
  description = "The service as LocalStack (and the Lambda containers) reach it: its compose host name and port."
  type        = string
  default     = "http://product-search:8080"

  validation {
    condition     = can(regex("^https?://[^/?#\\s]+$", var.backend_url))
    error_message = "backend_url must be a scheme, host and port without a path, e.g. http://product-search:8080."
  }
}

variable "stage_name" {
  description = "API Gateway stage name; the first path segment after the API in every invoke URL."
  type        = string
  default     = "local"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 characters: letters, digits, '_' and '-'."
  }
}

variable "private_egress" {
  description = "Egress of the private subnets, passed to the network module; \"none\" by default since LocalStack runs containers on the host's network anyway."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["nat_gateway", "vpc_endpoints", "none"], var.private_egress)
    error_message = "private_egress must be one of: nat_gateway, vpc_endpoints, none."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the service's and the Lambda proxy's logs."
  type        = number
  default     = 7

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...)."
  }
}

# --- the original route, for comparison ---

variable "lambda_proxy" {
  description = "Also deploy the original route: a second REST API whose AWS_PROXY integration invokes a Lambda function that forwards to the service."
  type        = bool
  default     = false
}

variable "lambda_runtime" {
  description = "Runtime of the Lambda proxy (Python 3, standard library only)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.lambda_runtime))
    error_message = "lambda_runtime must be a Python 3 runtime, e.g. python3.12."
  }
}

variable "lambda_proxy_timeout_s" {
  description = "Seconds the Lambda proxy allows the whole request to the service before answering 504 (PROXY_TIMEOUT_S); the function's own timeout is 3 s longer."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_proxy_timeout_s >= 1 && var.lambda_proxy_timeout_s <= 25 && floor(var.lambda_proxy_timeout_s) == var.lambda_proxy_timeout_s
    error_message = "lambda_proxy_timeout_s must be a whole number from 1 to 25 (API Gateway gives up after 29 s)."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the Lambda proxy function."
  type        = number
  default     = 128

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be from 128 to 10240."
  }
}

# --- LocalStack Pro only ---

variable "enable_pro_services" {
  description = "Also create the ECR repository, ECS cluster and service, ALB and autoscaling of the AWS env (same modules). Needs LocalStack Pro (LOCALSTACK_AUTH_TOKEN)."
  type        = bool
  default     = false
}

variable "pro_image" {
  description = "Image the ECS service runs (enable_pro_services); default: <emulated ECR repository URL>:latest."
  type        = string
  default     = null
}

variable "pro_desired_count" {
  description = "Tasks of the ECS service (enable_pro_services); autoscaling keeps between this and twice this."
  type        = number
  default     = 2

  validation {
    condition     = var.pro_desired_count >= 1 && var.pro_desired_count <= 4 && floor(var.pro_desired_count) == var.pro_desired_count
    error_message = "pro_desired_count must be a whole number from 1 to 4 (each task is a container on your machine)."
  }
}

variable "pro_drain_s" {
  description = "DRAIN_S of the tasks (enable_pro_services): 0-2, as on AWS (ECS stops a task only after its target has drained from the load balancer)."
  type        = number
  default     = 1

  validation {
    condition     = var.pro_drain_s >= 0 && var.pro_drain_s <= 2 && floor(var.pro_drain_s) == var.pro_drain_s
    error_message = "pro_drain_s must be a whole number from 0 to 2 (the ecs_service module's range: ECS sends SIGTERM only after the target has drained, so a longer DRAIN_S is dead time)."
  }
}

variable "pro_deregistration_delay_s" {
  description = "The target group's deregistration delay (enable_pro_services): seconds requests in flight on a stopping task get to finish."
  type        = number
  default     = 5

  validation {
    condition     = var.pro_deregistration_delay_s >= 0 && var.pro_deregistration_delay_s <= 3600 && floor(var.pro_deregistration_delay_s) == var.pro_deregistration_delay_s
    error_message = "pro_deregistration_delay_s must be a whole number from 0 to 3600 (the load balancer's limit)."
  }
}

# --- the catalog from S3 (community and Pro) ---

variable "catalog_file" {
  description = "A local catalog file to serve from LocalStack's S3: uploaded to a bucket there; the compose overlay compose.catalog.yaml (scripts/localstack-up.sh --catalog FILE) copies it into the service's volume and keeps it fresh; with enable_pro_services the ECS task's init container and sidecar do. A products file (JSON or JSON Lines) or a snapshot (.snap/.snapshot, from product-search --write-snapshot). Null: a generated catalog."
  type        = string
  default     = null

  validation {
    condition     = var.catalog_file == null || try(fileexists(var.catalog_file), false)
    error_message = "catalog_file must be null or the path of an existing file."
  }
}

variable "catalog_refresh_s" {
  description = "Seconds between the catalog sidecar's ETag checks (0: copied once, no sidecar), as catalog_refresh_s in the AWS env."
  type        = number
  default     = 30

  validation {
    condition     = var.catalog_refresh_s == 0 || (var.catalog_refresh_s >= 10 && var.catalog_refresh_s <= 86400 && floor(var.catalog_refresh_s) == var.catalog_refresh_s)
    error_message = "catalog_refresh_s must be 0 (no sidecar) or a whole number of seconds from 10 to 86400."
  }
}

variable "catalog_reload_s" {
  description = "RELOAD_S of the service with catalog_file: seconds between its checks of the file."
  type        = number
  default     = 5

  validation {
    condition     = var.catalog_reload_s >= 1 && var.catalog_reload_s <= 3600 && floor(var.catalog_reload_s) == var.catalog_reload_s
    error_message = "catalog_reload_s must be a whole number of seconds from 1 to 3600."
  }
}

variable "catalog_image" {
  description = "AWS CLI v2 image of the catalog copier (the ECS task's init container and sidecar with enable_pro_services)."
  type        = string
  default     = "public.ecr.aws/aws-cli/aws-cli:2.32.9"

  validation {
    condition     = length(var.catalog_image) > 0 && !can(regex("\\s", var.catalog_image))
    error_message = "catalog_image must be an image reference without white space."
  }
}
