variable "name" {
  description = "Name of the web ACL and of its CloudWatch metrics."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1-100 letters, digits, '-' or '_'."
  }
}

variable "alb_arn" {
  description = "ARN of the load balancer the web ACL protects."
  type        = string
}

variable "rate_limit" {
  description = "Requests one client IP may send per window before it is blocked (AWS WAF accepts 10 to 2,000,000,000); null: no rate rule."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit == null || try(var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit, false)
    error_message = "rate_limit must be null or a whole number from 10 to 2000000000."
  }
}

variable "managed_rules" {
  description = "AWS managed rule groups (core rule set, known bad inputs): off, count (matches counted and logged, nothing blocked) or block."
  type        = string
  default     = "off"

  validation {
    condition     = contains(["off", "count", "block"], var.managed_rules)
    error_message = "managed_rules must be off, count or block."
  }
}

variable "logging" {
  description = "Log the requests WAF blocked or counted to the CloudWatch Logs group aws-waf-logs-<name>."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days the WAF log group keeps its events."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...)."
  }
}

variable "window_s" {
  description = "Window the rate is counted over, in seconds: 60, 120, 300 or 600."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600], var.window_s)
    error_message = "window_s must be 60, 120, 300 or 600."
  }
}

variable "tags" {
  description = "Extra tags for the web ACL."
  type        = map(string)
  default     = {}
}
