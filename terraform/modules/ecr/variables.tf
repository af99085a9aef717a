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

variable "release_tag_prefixes" {
  description = "Tag prefixes of release images (e.g. v for v1.4.0-amd64), which the lifecycle policy keeps apart from keep_last_images: a hand rollback to the task definition of an old release still finds its image. Empty: no such rule."
  type        = list(string)
  default     = ["v"]

  validation {
    condition     = alltrue([for p in var.release_tag_prefixes : can(regex("^[0-9a-zA-Z._-]{1,127}$", p))])
    error_message = "Every release_tag_prefixes entry must be 1-127 letters, digits, '.', '_' or '-'."
  }
}

variable "keep_release_images" {
  description = "Release images (release_tag_prefixes) the lifecycle policy keeps, newest first."
  type        = number
  default     = 100

  validation {
    condition     = var.keep_release_images >= 1 && var.keep_release_images <= 10000 && floor(var.keep_release_images) == var.keep_release_images
    error_message = "keep_release_images must be a whole number from 1 to 10000."
  }
}

variable "image_tag_mutability" {
  description = "IMMUTABLE_WITH_EXCLUSION (default: a tag always names the same image, except the tags in mutable_tags), IMMUTABLE or MUTABLE. Deploys run the git-commit tag."
  type        = string
  default     = "IMMUTABLE_WITH_EXCLUSION"

  validation {
    condition     = contains(["IMMUTABLE_WITH_EXCLUSION", "IMMUTABLE", "MUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be IMMUTABLE_WITH_EXCLUSION, IMMUTABLE or MUTABLE."
  }
}

variable "mutable_tags" {
  description = "Wildcard patterns of tags that may move with IMMUTABLE_WITH_EXCLUSION (scripts/push-ecr.sh moves \"latest\" on every push)."
  type        = list(string)
  default     = ["latest"]

  validation {
    condition     = alltrue([for t in var.mutable_tags : can(regex("^[0-9a-zA-Z._*-]{1,128}$", t))])
    error_message = "Every mutable_tags entry must be 1-128 characters of letters, digits, '.', '_', '-' or '*'."
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
