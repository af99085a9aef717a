variable "domain_name" {
  description = "Name the certificate is for (the name clients use, e.g. search.example.com)."
  type        = string

  validation {
    condition     = can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as search.example.com."
  }
}

variable "subject_alternative_names" {
  description = "Further names the certificate covers (each needs its own validation record in zone_id)."
  type        = list(string)
  default     = []
}

variable "zone_id" {
  description = "Route 53 hosted zone that holds domain_name: the validation records go there."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone ID (Z followed by letters and digits)."
  }
}

variable "tags" {
  description = "Extra tags for the certificate."
  type        = map(string)
  default     = {}
}
