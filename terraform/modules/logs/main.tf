# The CloudWatch Logs group the containers write their JSON lines to.

resource "aws_cloudwatch_log_group" "this" {
  name              = var.name
  retention_in_days = var.retention_in_days

  tags = var.tags
}
