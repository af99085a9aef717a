# Internet-facing application load balancer in the public subnets, an ip-type
# target group for the Fargate tasks, and the listeners: HTTP on 80, or HTTPS on
# 443 with 80 redirecting to it when var.certificate_arn is set. Clients reach
# it under var.domain_name when set (the certificate must cover that name; no
# certificate covers the ALB's own *.elb.amazonaws.com name).

locals {
  # var.https says it at plan time when the certificate's ARN is not known yet (one
  # issued in the same apply, modules/certificate); else a certificate_arn means HTTPS.
  https = var.https != null ? var.https : var.certificate_arn != null
  ports = local.https ? [80, 443] : [80]
  host  = coalesce(var.domain_name, aws_lb.this.dns_name)
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Internet to the ${var.name} load balancer"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "listener" {
  for_each = { for pair in setproduct(local.ports, var.ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = "Port ${each.value[0]} from ${each.value[1]}"
  cidr_ipv4         = each.value[1]
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
}

# The ALB talks only to the targets, on the container port, inside the VPC.
resource "aws_vpc_security_group_egress_rule" "to_targets" {
  security_group_id = aws_security_group.alb.id
  description       = "To the tasks on the container port"
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_lb" "this" {
  name                       = var.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  idle_timeout               = var.idle_timeout_s
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == null ? [] : [1]
    content {
      bucket  = var.access_logs_bucket
      prefix  = var.access_logs_prefix
      enabled = true
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !local.https || var.domain_name != null
      error_message = "certificate_arn needs domain_name: no ACM certificate covers the load balancer's own *.elb.amazonaws.com name, so HTTPS clients must use a domain the certificate names."
    }
  }
}

# name_prefix, not name: a change of port, protocol or VPC replaces the group, and
# create_before_destroy creates the new one first; a fixed name would collide
# with the old one (DuplicateTargetGroupName). AWS appends a unique suffix.
resource "aws_lb_target_group" "this" {
  name_prefix          = "${substr(var.name, 0, 5)}-"
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.target_port
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_s

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = var.health_check_path
    port                = "traffic-port"
    matcher             = "200"
    interval            = var.health_check_interval_s
    timeout             = min(5, var.health_check_interval_s - 1)
    healthy_threshold   = var.healthy_threshold
    unhealthy_threshold = var.unhealthy_threshold
  }

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  dynamic "default_action" {
    for_each = local.https ? [] : [1]
    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.this.arn
    }
  }

  dynamic "default_action" {
    for_each = local.https ? [1] : []
    content {
      type = "redirect"

      redirect {
        protocol    = "HTTPS"
        port        = "443"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.certificate_arn != null
      error_message = "https is true but certificate_arn is null: the HTTPS listener needs a certificate."
    }
  }
}
