variable "name" {
  description = "Name prefix for every resource of this module (also the Name tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC; split into /20 subnets (public first, then private)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of size /20 or larger (e.g. 10.0.0.0/16)."
  }
}

variable "az_count" {
  description = "How many availability zones to spread over: one public and one private subnet in each."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 4 (an ALB needs at least two zones)."
  }
}

variable "private_egress" {
  description = <<-EOT
    How tasks in the private subnets reach ECR, S3 and CloudWatch Logs:
    "nat_gateway" (one NAT gateway, ~0.050 USD/h with its public IPv4 address; the default, cheapest working choice),
    "vpc_endpoints" (interface endpoints for ecr.api, ecr.dkr and logs in every zone plus a free S3 gateway endpoint, ~0.060 USD/h in two zones; no internet route at all),
    or "none" (no egress; only for emulators such as LocalStack, tasks cannot pull images).
  EOT
  type        = string
  default     = "nat_gateway"

  validation {
    condition     = contains(["nat_gateway", "vpc_endpoints", "none"], var.private_egress)
    error_message = "private_egress must be one of: nat_gateway, vpc_endpoints, none."
  }
}

variable "tags" {
  description = "Extra tags for every resource of this module."
  type        = map(string)
  default     = {}
}
