variable "cluster_name" {
  description = "Name of the ECS cluster of the service."
  type        = string
}

variable "service_name" {
  description = "Name of the ECS service to scale."
  type        = string
}

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
    condition     = var.max_capacity >= 1 && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity must be a whole number >= 1."
  }
}

variable "cpu_target_percent" {
  description = "Target average CPU utilisation of the service, in percent."
  type        = number
  default     = 70

  validation {
    condition     = var.cpu_target_percent > 0 && var.cpu_target_percent <= 100
    error_message = "cpu_target_percent must be above 0 and at most 100."
  }
}

variable "scale_in_cooldown_s" {
  description = "Seconds after a scale-in before the next scale-in."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_in_cooldown_s >= 0
    error_message = "scale_in_cooldown_s must be >= 0."
  }
}

variable "scale_out_cooldown_s" {
  description = "Seconds after a scale-out before the next scale-out."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_out_cooldown_s >= 0
    error_message = "scale_out_cooldown_s must be >= 0."
  }
}

variable "requests_per_target" {
  description = "When set, a second target-tracking policy on ALB requests per target per minute (ALBRequestCountPerTarget); null turns it off."
  type        = number
  default     = null

  validation {
    condition     = var.requests_per_target == null || try(var.requests_per_target > 0, false)
    error_message = "requests_per_target must be null or a positive number."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer; needed when requests_per_target is set."
  type        = string
  default     = ""
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group; needed when requests_per_target is set."
  type        = string
  default     = ""
}
