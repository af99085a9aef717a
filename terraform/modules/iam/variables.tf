variable "name" {
  description = "Name prefix of the two roles (<name>-<region>-task-execution and <name>-<region>-task; IAM role names are unique per account, across regions)."
  type        = string

  # 64 (IAM limit) - 15 ("-task-execution") - 15 ("-" and the longest region name, 14).
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,33}$", var.name))
    error_message = "name must be 2-34 characters allowed in IAM role names, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for both roles."
  type        = map(string)
  default     = {}
}
