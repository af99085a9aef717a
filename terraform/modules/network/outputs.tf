output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones used, in subnet order."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per availability zone (for the load balancer and the NAT gateway); known once they route to the internet gateway."
  value       = aws_subnet.public[*].id

  depends_on = [aws_route_table_association.public]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone (for the tasks; no public IPs). Known only once their egress works (route table associations, NAT gateway route or VPC endpoints), so tasks placed there can pull their image."
  value       = aws_subnet.private[*].id

  depends_on = [
    aws_route_table_association.private,
    aws_route_table.private,
    aws_nat_gateway.this,
    aws_vpc_endpoint.interface,
    aws_vpc_endpoint.s3,
    aws_vpc_security_group_ingress_rule.endpoints_https,
  ]
}

output "private_route_table_id" {
  description = "ID of the (first) private route table: the one all private subnets share, unless nat_per_az gives each zone its own."
  value       = aws_route_table.private[0].id
}

output "private_route_table_ids" {
  description = "IDs of the private route tables, in zone order (one, or one per zone with nat_per_az)."
  value       = aws_route_table.private[*].id
}

output "nat_gateway_count" {
  description = "NAT gateways created: 0 (vpc_endpoints or none), 1, or one per zone (nat_per_az)."
  value       = local.nat_count
}

output "private_egress" {
  description = "The egress mode in use: nat_gateway, vpc_endpoints or none."
  value       = var.private_egress
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (null unless private_egress is vpc_endpoints)."
  value       = one(aws_security_group.endpoints[*].id)
}
