output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}

output "alarm_names" {
  description = "Names of the alarms: 5xx rate, targets' 5xx rate, unhealthy hosts, p99 latency, and running tasks when min_running_tasks > 0."
  value = concat([
    aws_cloudwatch_metric_alarm.error_rate.alarm_name,
    aws_cloudwatch_metric_alarm.target_error_rate.alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name,
    aws_cloudwatch_metric_alarm.p99_latency.alarm_name,
  ], aws_cloudwatch_metric_alarm.running_tasks[*].alarm_name)
}

output "deployment_alarm_names" {
  description = "The alarms an ECS deployment should roll back on: the targets' own 5xx rate (not the load balancer's 503s while no target is healthy yet) and unhealthy hosts."
  value = [
    aws_cloudwatch_metric_alarm.target_error_rate.alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy_hosts.alarm_name,
  ]
}

output "sns_topic_arn" {
  description = "ARN of the alarm topic; null unless sns_topic is true or alarm_email is set."
  value       = one(aws_sns_topic.alarms[*].arn)
}
