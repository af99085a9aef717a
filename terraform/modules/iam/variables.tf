variable "name" {
  description = "Name prefix of the two roles (<name>-<region>-task-execution and <name>-<region>-task; IAM role names are unique per account, across regions)."
  type        = string

  # 64 (IAM limit) - 15 ("-task-execution") - 15 ("-" and the longest region name, 14).
  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{1,33}$", var.name))
    error_message = "name must be 2-34 characters allowed in IAM role names, starting with a letter."
  }
}

variable "catalog_object" {
  description = "S3 object the task's containers may read (s3:GetObject on that object only): the catalog. Null: the task role has no permissions."
  type = object({
    bucket = string
    key    = string
  })
  default = null

  validation {
    condition     = var.catalog_object == null || try(length(var.catalog_object.bucket) >= 3 && length(var.catalog_object.key) > 0 && !strcontains(var.catalog_object.key, "*"), false)
    error_message = "catalog_object must be null or a bucket and an object key (no wildcard)."
  }
}

variable "tags" {
  description = "Extra tags for both roles."
  type        = map(string)
  default     = {}
}
