variable "name" {
  description = "Prefix of the bucket name (AWS appends a unique suffix; at most 26 characters so the prefix stays within S3's 37)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,25}$", var.name))
    error_message = "name must be 1-26 lower-case letters, digits or hyphens, starting with a letter or digit."
  }
}

variable "prefix" {
  description = "Key prefix the load balancer writes under (no leading or trailing slash)."
  type        = string
  default     = "alb"

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9/_-]*[a-zA-Z0-9]$", var.prefix)) && !strcontains(var.prefix, "AWSLogs")
    error_message = "prefix must be letters, digits, '/', '_' or '-', without a leading or trailing slash, and must not contain AWSLogs."
  }
}

variable "retention_days" {
  description = "Days the access logs are kept before S3 expires them."
  type        = number
  default     = 90

  validation {
    condition     = var.retention_days >= 1 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number >= 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket with the logs in it."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for the bucket."
  type        = map(string)
  default     = {}
}
