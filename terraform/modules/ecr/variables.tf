variable "name" {
  description = "Repository name, e.g. product-search."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name)) && length(var.name) <= 256
    error_message = "name must be a valid ECR repository name (lower case, digits, '.', '_', '-', '/')."
  }
}

variable "keep_last_images" {
  description = "The lifecycle policy expires all but the newest N images."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_last_images >= 1 && var.keep_last_images <= 1000 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number from 1 to 1000."
  }
}

variable "image_tag_mutability" {
  description = "IMMUTABLE (a tag always names the same image; deploys use the git commit as tag) or MUTABLE."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["IMMUTABLE", "MUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be IMMUTABLE or MUTABLE."
  }
}

variable "force_delete" {
  description = "Let terraform destroy delete the repository even when it still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for the repository."
  type        = map(string)
  default     = {}
}
