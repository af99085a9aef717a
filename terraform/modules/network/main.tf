# VPC with public subnets (load balancer, NAT gateway) and private subnets (tasks)
# in var.az_count availability zones. Private egress is a NAT gateway or VPC
# endpoints for ECR, S3 and CloudWatch Logs, chosen by var.private_egress.

# Zones that need no opt-in: Local Zones and Wavelength Zones are left out (an
# account that has not opted in cannot create subnets there).
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_region" "current" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  # 4 more bits than the VPC: 16 subnets; public ones from 0, private ones from 8.
  subnet_newbits = 4
  tags           = merge(var.tags, { Module = "network" })

  # NAT gateways: one (in the first zone), or one per zone (var.nat_per_az) so that a
  # zone's outage does not cut the others' egress; each zone then routes to its own.
  nat_count      = var.private_egress == "nat_gateway" ? (var.nat_per_az ? var.az_count : 1) : 0
  private_tables = var.private_egress == "nat_gateway" && var.nat_per_az ? var.az_count : 1

  # Interface endpoints a Fargate task needs to pull from ECR and log to CloudWatch.
  interface_endpoints = var.private_egress == "vpc_endpoints" ? toset(["ecr.api", "ecr.dkr", "logs"]) : toset([])
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = var.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, local.subnet_newbits, count.index)
  map_public_ip_on_launch = false

  tags = merge(local.tags, { Name = "${var.name}-public-${local.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = var.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, local.subnet_newbits, count.index + 8)
  map_public_ip_on_launch = false

  tags = merge(local.tags, { Name = "${var.name}-private-${local.azs[count.index]}", Tier = "private" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route_table_association" "public" {
  count = var.az_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table, or one per zone with nat_per_az (each to its zone's gateway).
resource "aws_route_table" "private" {
  count = local.private_tables

  vpc_id = aws_vpc.this.id

  dynamic "route" {
    for_each = var.private_egress == "nat_gateway" ? [1] : []
    content {
      cidr_block     = "0.0.0.0/0"
      nat_gateway_id = aws_nat_gateway.this[count.index].id
    }
  }

  tags = merge(local.tags, { Name = local.private_tables > 1 ? "${var.name}-private-${local.azs[count.index]}" : "${var.name}-private" })
}

# The table was a single resource before nat_per_az: keep it, as the first of the list.
moved {
  from = aws_route_table.private
  to   = aws_route_table.private[0]
}

resource "aws_route_table_association" "private" {
  count = var.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[min(count.index, local.private_tables - 1)].id
}

# --- egress option 1: NAT gateways (one, or one per zone with nat_per_az) ---

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags       = merge(local.tags, { Name = local.nat_count > 1 ? "${var.name}-nat-${local.azs[count.index]}" : "${var.name}-nat" })
  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags       = merge(local.tags, { Name = local.nat_count > 1 ? "${var.name}-${local.azs[count.index]}" : var.name })
  depends_on = [aws_internet_gateway.this]
}

# --- egress option 2: VPC endpoints for ECR, S3 and CloudWatch Logs ---

resource "aws_security_group" "endpoints" {
  count = var.private_egress == "vpc_endpoints" ? 1 : 0

  name        = "${var.name}-endpoints"
  description = "HTTPS from inside the VPC to the interface endpoints"
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = var.private_egress == "vpc_endpoints" ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

# ECR stores image layers in S3: a gateway endpoint (no hourly charge) on the private route table.
resource "aws_vpc_endpoint" "s3" {
  count = var.private_egress == "vpc_endpoints" ? 1 : 0

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = merge(local.tags, { Name = "${var.name}-s3" })
}
