# Two roles for an ECS task:
# - the execution role, used by the ECS agent to pull the image and write logs
#   (AWS managed AmazonECSTaskExecutionRolePolicy, nothing more);
# - the task role, assumed by the application; the service calls no AWS API,
#   so it has no policy at all.
# Role names are account-wide: they carry the region so that the same stack can
# run in a second region of one account.

locals {
  prefix = "${var.name}-${data.aws_region.current.region}"
}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    sid     = "EcsTasksAssume"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused-deputy guard: only tasks of this account may assume the roles.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.prefix}-task-execution"
  description        = "ECS agent: pull the image from ECR, write container logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  name               = "${local.prefix}-task"
  description        = "product-search application role: no permissions (the service calls no AWS API)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}
