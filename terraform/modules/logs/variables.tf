variable "name" {
  description = "Log group name, e.g. /ecs/product-search."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", var.name))
    error_message = "name must be 1-512 characters of letters, digits, '_', '/', '.', '#' and '-'."
  }
}

variable "retention_in_days" {
  description = "Days CloudWatch Logs keeps the events."
  type        = number
  default     = 7

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_in_days)
    error_message = "retention_in_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...)."
  }
}

variable "tags" {
  description = "Extra tags for the log group."
  type        = map(string)
  default     = {}
}
