variable "name" {
  description = "Name prefix for every resource of this module (also the Name tag)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /22 (AWS allows /16 at most); split into 16 subnets 4 bits smaller (a /16 gives /20 subnets): public ones from the first, private ones from the ninth."
  type        = string
  default     = "10.0.0.0/16"

  # /22 is the smallest VPC whose /26 subnets still leave an ALB the 8 free addresses it needs.
  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 22, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /22 (e.g. 10.0.0.0/16)."
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

variable "nat_per_az" {
  description = "With private_egress = nat_gateway: one NAT gateway (and Elastic IP) in every zone, each zone's private subnet routing to its own, instead of one in the first zone. Survives a zone's outage (new tasks in the other zones can still pull images, and logs still flow); costs one more gateway per zone, about 0.050 USD/h each (docs/deploy-aws.md)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource of this module."
  type        = map(string)
  default     = {}
}
