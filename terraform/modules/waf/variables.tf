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
  description = "Requests one client IP may send per window before it is blocked (AWS WAF accepts 10 to 2,000,000,000)."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number from 10 to 2000000000."
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
