variable "name" {
  description = "Name of the load balancer (at most 32 characters) and of its security group; its first 5 characters prefix the target group's generated name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and the target group."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two, in different availability zones) for the internet-facing load balancer."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An application load balancer needs subnets in at least two availability zones."
  }
}

variable "ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the listeners."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of ingress_cidrs must be an IPv4 CIDR block."
  }
}

variable "certificate_arn" {
  description = "ACM certificate ARN. When set, the ALB listens on 443 (HTTPS) and port 80 redirects to it; when null, port 80 serves HTTP."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "https" {
  description = "Listen on 443 with certificate_arn (80 redirects there). Null: when certificate_arn is set; say true when the certificate is issued in the same apply, whose ARN is unknown at plan time."
  type        = bool
  default     = null
}

variable "domain_name" {
  description = "Name clients use (e.g. search.example.com), pointed at the load balancer by an alias record outside this module. Required with certificate_arn; base_url is built from it."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as search.example.com."
  }
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (its policy must let ELB write); null turns access logs off."
  type        = string
  default     = null
}

variable "access_logs_prefix" {
  description = "Key prefix of the access logs in access_logs_bucket."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "target_port" {
  description = "Port the containers listen on (the server's PORT)."
  type        = number
  default     = 8080

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535
    error_message = "target_port must be from 1 to 65535."
  }
}

variable "health_check_path" {
  description = "Path the target group health check requests; the server answers 200 there, 503 once draining."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "health_check_interval_s" {
  description = "Seconds between health checks of one target."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_interval_s >= 5 && var.health_check_interval_s <= 300
    error_message = "health_check_interval_s must be from 5 to 300."
  }
}

variable "healthy_threshold" {
  description = "Consecutive successful checks before a target counts as healthy."
  type        = number
  default     = 2

  validation {
    condition     = var.healthy_threshold >= 2 && var.healthy_threshold <= 10
    error_message = "healthy_threshold must be from 2 to 10."
  }
}

variable "unhealthy_threshold" {
  description = "Consecutive failed checks before a target counts as unhealthy."
  type        = number
  default     = 2

  validation {
    condition     = var.unhealthy_threshold >= 2 && var.unhealthy_threshold <= 10
    error_message = "unhealthy_threshold must be from 2 to 10."
  }
}

variable "deregistration_delay_s" {
  description = "Seconds the target group lets requests in flight on a deregistering target finish (it ends at once when none are left); ECS stops the task only after it. Size it to the longest request, not to the server's DRAIN_S."
  type        = number
  default     = 5

  validation {
    condition     = var.deregistration_delay_s >= 0 && var.deregistration_delay_s <= 3600
    error_message = "deregistration_delay_s must be from 0 to 3600."
  }
}

variable "idle_timeout_s" {
  description = "Seconds an idle client connection stays open on the ALB (keep it below the server's CONN_TIMEOUT_S)."
  type        = number
  default     = 25

  validation {
    condition     = var.idle_timeout_s >= 1 && var.idle_timeout_s <= 4000
    error_message = "idle_timeout_s must be from 1 to 4000."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (turn off before terraform destroy)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource of this module."
  type        = map(string)
  default     = {}
}
