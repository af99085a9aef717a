variable "name" {
  description = "Name prefix of the two roles (<name>-task-execution and <name>-task)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters allowed in IAM role names, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for both roles."
  type        = map(string)
  default     = {}
}
