# An AWS WAFv2 web ACL (regional scope, for an ALB), associated with the load balancer.
# Requests are allowed unless a rule blocks them:
# - rate-limit-per-ip (var.rate_limit): one client IP sending more than rate_limit
#   requests in window_s seconds is blocked until its rate drops again;
# - AWS managed rule groups (var.managed_rules): the core rule set (AWSManagedRulesCommonRuleSet)
#   and known bad inputs (AWSManagedRulesKnownBadInputsRuleSet), in count mode (matches
#   are counted and logged, nothing is blocked: see what they would block first) or block.
# Optionally (var.logging) the requests WAF blocked or counted go to the CloudWatch Logs
# group aws-waf-logs-<name> (the prefix WAF requires); allowed requests are not logged.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  managed_groups = var.managed_rules == "off" ? {} : {
    AWSManagedRulesCommonRuleSet         = 10
    AWSManagedRulesKnownBadInputsRuleSet = 20
  }
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "${var.name}: per-IP rate limit${var.managed_rules == "off" ? "" : ", AWS managed rules (${var.managed_rules})"}"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = var.rate_limit == null ? [] : [var.rate_limit]
    content {
      name     = "rate-limit-per-ip"
      priority = 1

      action {
        block {}
      }

      statement {
        rate_based_statement {
          limit                 = rule.value
          evaluation_window_sec = var.window_s
          aggregate_key_type    = "IP"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-rate-limit"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = local.managed_groups
    content {
      name     = rule.key
      priority = rule.value

      # A rule group's own actions apply (none) or are turned into counts (count).
      override_action {
        dynamic "none" {
          for_each = var.managed_rules == "block" ? [1] : []
          content {}
        }
        dynamic "count" {
          for_each = var.managed_rules == "count" ? [1] : []
          content {}
        }
      }

      statement {
        managed_rule_group_statement {
          name        = rule.key
          vendor_name = "AWS"
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = var.alb_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# --- logging (optional) ---

resource "aws_cloudwatch_log_group" "waf" {
  count = var.logging ? 1 : 0

  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

# WAF would otherwise add its statement to one account-wide resource policy (AWSWAF-LOGS),
# which can outgrow its size limit; this one covers this log group only.
data "aws_iam_policy_document" "waf_logs" {
  count = var.logging ? 1 : 0

  statement {
    sid       = "WafLogDelivery"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.waf[0].arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "waf" {
  count = var.logging ? 1 : 0

  policy_name     = "${var.name}-waf-logs"
  policy_document = data.aws_iam_policy_document.waf_logs[0].json
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.logging ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  # Blocked and counted requests only: every allowed request would be a log line too.
  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }

      condition {
        action_condition {
          action = "COUNT"
        }
      }
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.waf]
}
