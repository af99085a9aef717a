# An ACM certificate for the load balancer's HTTPS listener, validated by DNS in a
# Route 53 hosted zone: the validation records are created from the certificate's
# domain_validation_options, and the ARN is handed out only through
# aws_acm_certificate_validation, which waits until ACM has issued the certificate (a
# listener given a pending certificate fails with UnsupportedCertificate).

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"

  tags = merge(var.tags, { Name = var.domain_name })

  # A replacement (another name) is issued before the old one is let go: the listener
  # moves to the new certificate without a moment without one.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => {
      name   = o.resource_record_name
      type   = o.resource_record_type
      record = o.resource_record_value
    }
  }

  zone_id         = var.zone_id
  name            = each.value.name
  type            = each.value.type
  ttl             = 60
  records         = [each.value.record]
  allow_overwrite = true # a name validated before (or a wildcard and its apex) shares one record
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]

  timeouts {
    create = "45m"
  }
}
