# CloudWatch dashboard (traffic, latency percentiles, errors, target health,
# CPU and memory), alarms (5xx rate, the targets' own 5xx rate, unhealthy hosts,
# p99 latency, running tasks below the minimum) and, optionally, an SNS topic
# every alarm notifies.

locals {
  # Dashboard names are unique per account, across regions: the region is part of it.
  dashboard_name = "${var.name}-${var.region}"

  alarm_actions = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)

  lb  = ["LoadBalancer", var.alb_arn_suffix]
  tg  = ["TargetGroup", var.target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix]
  ecs = ["ClusterName", var.cluster_name, "ServiceName", var.service_name]

  metric_widgets = [
    {
      title   = "Requests (per minute)"
      stat    = "Sum"
      metrics = [concat(["AWS/ApplicationELB", "RequestCount"], local.lb)]
    },
    {
      title = "Target response time (seconds)"
      stat  = "Average"
      metrics = [
        concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb, [{ stat = "p50", label = "p50" }]),
        concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb, [{ stat = "p95", label = "p95" }]),
        concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb, [{ stat = "p99", label = "p99" }]),
      ]
    },
    {
      title = "4xx and 5xx answers (per minute)"
      stat  = "Sum"
      metrics = [
        concat(["AWS/ApplicationELB", "HTTPCode_Target_4XX_Count"], local.lb, [{ label = "target 4xx" }]),
        concat(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"], local.lb, [{ label = "target 5xx" }]),
        concat(["AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count"], local.lb, [{ label = "load balancer 4xx" }]),
        concat(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"], local.lb, [{ label = "load balancer 5xx" }]),
      ]
    },
    {
      title = "Targets"
      stat  = "Minimum"
      metrics = [
        concat(["AWS/ApplicationELB", "HealthyHostCount"], local.tg, [{ label = "healthy" }]),
        concat(["AWS/ApplicationELB", "UnHealthyHostCount"], local.tg, [{ label = "unhealthy", stat = "Maximum" }]),
      ]
    },
    {
      title = "Service CPU and memory (% of reservation)"
      stat  = "Average"
      metrics = [
        concat(["AWS/ECS", "CPUUtilization"], local.ecs, [{ label = "CPU" }]),
        concat(["AWS/ECS", "MemoryUtilization"], local.ecs, [{ label = "memory" }]),
      ]
    },
  ]

  widgets = concat(
    [for k, w in local.metric_widgets : {
      type   = "metric"
      x      = (k % 2) * 12
      y      = floor(k / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = var.region
        view    = "timeSeries"
        stacked = false
        period  = 60
        stat    = w.stat
        metrics = w.metrics
      }
    }],
    var.log_group_name == null ? [] : [{
      type   = "log"
      x      = 12
      y      = 12
      width  = 12
      height = 6
      properties = {
        title  = "Latest error lines"
        region = var.region
        view   = "table"
        query  = "SOURCE '${var.log_group_name}' | fields @timestamp, @message | filter level = 'error' or status >= 500 | sort @timestamp desc | limit 50"
      }
    }],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# --- notifications (optional) ---

resource "aws_sns_topic" "alarms" {
  count = var.sns_topic || var.alarm_email != null ? 1 : 0

  name = "${var.name}-alarms"
  tags = var.tags
}

# AWS sends a confirmation mail; nothing arrives until the recipient confirms.
resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email != null ? 1 : 0

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# Stops a plan whose alarms could never fire.
resource "terraform_data" "alarm_settings" {
  input = [var.evaluation_periods, var.datapoints_to_alarm]

  lifecycle {
    precondition {
      condition     = var.datapoints_to_alarm <= var.evaluation_periods
      error_message = "datapoints_to_alarm (${var.datapoints_to_alarm}) must not exceed evaluation_periods (${var.evaluation_periods})."
    }
  }
}

# The 5xx alarms are metric math over the load balancer's counts. Those counts are
# published only in minutes where they are nonzero, and metric math has a value only
# where every operand has one, so each count is FILL(x, 0)ed: without it, target5xx +
# elb5xx existed only in minutes with both kinds of error and the alarm (with
# notBreaching) almost never fired. A divisor is IF(d > 0, d, 1): no division by zero
# in a minute without requests. RequestCount leaves out the 503s of a load balancer
# that found no healthy target, so the total share divides by requests + elb5xx.
locals {
  alb_counts = {
    requests  = "RequestCount"
    target5xx = "HTTPCode_Target_5XX_Count"
    elb5xx    = "HTTPCode_ELB_5XX_Count"
  }
}

# Every 5xx, the load balancer's own included (no healthy target, target timeouts or
# resets): the alarm for people.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_threshold_percent} % of requests answered 5xx (targets and load balancer)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "errors"
    expression  = "FILL(target5xx, 0) + FILL(elb5xx, 0)"
    label       = "5xx answers"
    return_data = false
  }

  metric_query {
    id          = "total"
    expression  = "FILL(requests, 0) + FILL(elb5xx, 0)"
    label       = "requests, with the load balancer's own 5xx"
    return_data = false
  }

  metric_query {
    id          = "rate"
    expression  = "100 * errors / IF(total > 0, total, 1)"
    label       = "5xx share of requests (%)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.alb_counts
    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        dimensions  = { LoadBalancer = var.alb_arn_suffix }
        period      = 60
        stat        = "Sum"
      }
    }
  }

  tags = var.tags
}

# The targets' own 5xx only: the alarm a deployment rolls back on. The load balancer's
# 503s while no target is healthy yet (the first rollout, a task still building its
# index) are not the new task definition's fault and must not roll it back.
resource "aws_cloudwatch_metric_alarm" "target_error_rate" {
  alarm_name          = "${var.name}-target-5xx-rate"
  alarm_description   = "More than ${var.error_rate_threshold_percent} % of requests answered 5xx by the targets themselves (ECS rolls a deployment back on it)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "100 * FILL(target5xx, 0) / IF(FILL(requests, 0) > 0, FILL(requests, 0), 1)"
    label       = "targets' 5xx share of requests (%)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { for k, v in local.alb_counts : k => v if k != "elb5xx" }
    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        dimensions  = { LoadBalancer = var.alb_arn_suffix }
        period      = 60
        stat        = "Sum"
      }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  alarm_name          = "${var.name}-unhealthy-hosts"
  alarm_description   = "At least one target failed its /health checks."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { TargetGroup = var.target_group_arn_suffix, LoadBalancer = var.alb_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  alarm_name          = "${var.name}-p99-latency"
  alarm_description   = "p99 target response time above ${var.p99_latency_threshold_s} s."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p99"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.p99_latency_threshold_s
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Container Insights publishes RunningTaskCount; without it there is nothing to watch.
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  count = var.min_running_tasks > 0 ? 1 : 0

  alarm_name          = "${var.name}-running-tasks-low"
  alarm_description   = "Fewer than ${var.min_running_tasks} tasks running (the autoscaling minimum)."
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = var.cluster_name, ServiceName = var.service_name }
  statistic           = "Minimum"
  period              = 60
  comparison_operator = "LessThanThreshold"
  threshold           = var.min_running_tasks
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}
