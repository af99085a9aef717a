# CloudWatch dashboard (traffic, latency percentiles, errors, target health,
# CPU and memory) and alarms (5xx rate, unhealthy hosts, p99 latency).

locals {
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
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_threshold_percent} % of requests answered 5xx (targets and load balancer)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * (target5xx + elb5xx) / requests, 0)"
    label       = "5xx share of requests (%)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = {
      requests  = "RequestCount"
      target5xx = "HTTPCode_Target_5XX_Count"
      elb5xx    = "HTTPCode_ELB_5XX_Count"
    }
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
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

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
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}
