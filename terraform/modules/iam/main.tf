# Two roles for an ECS task:
# - the execution role, used by the ECS agent to pull the image and write logs
#   (AWS managed AmazonECSTaskExecutionRolePolicy, nothing more);
# - the task role, assumed by the application's containers; the server itself calls no
#   AWS API, so it has no policy, except s3:GetObject on the catalog object alone when the
#   catalog comes from S3 (var.catalog_object: the init container and the sidecar read it).
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
  description        = var.catalog_object == null ? "product-search application role: no permissions (the service calls no AWS API)" : "product-search application role: read the catalog object, nothing else"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

# Read the one catalog object: not the bucket, not a prefix (HeadObject needs the same
# permission; without s3:ListBucket a missing object answers 403 rather than 404).
data "aws_iam_policy_document" "catalog" {
  count = var.catalog_object == null ? 0 : 1

  statement {
    sid       = "ReadCatalogObject"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.catalog_object.bucket}/${var.catalog_object.key}"]
  }
}

resource "aws_iam_role_policy" "catalog" {
  count = var.catalog_object == null ? 0 : 1

  name   = "read-catalog-object"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.catalog[0].json
}
