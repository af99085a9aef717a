# The original route, for comparison (var.lambda_proxy): a second REST API whose
# AWS_PROXY integration invokes a small Lambda function (lambda/proxy.py, standard
# library only) that forwards the request to the container and returns its
# status, headers and body unchanged, a JSON 502 when the service is unreachable,
# or a JSON 504 when its whole answer takes longer than lambda_proxy_timeout_s.

locals {
  lambda_name = "${var.name}-proxy"
}

data "archive_file" "lambda_proxy" {
  count = var.lambda_proxy ? 1 : 0

  type        = "zip"
  source_file = "${path.module}/lambda/proxy.py"
  output_path = "${path.module}/.build/lambda-proxy.zip"
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# Least privilege: the function may only write to its own log group.
data "aws_iam_policy_document" "lambda_logs" {
  count = var.lambda_proxy ? 1 : 0

  statement {
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${one(module.lambda_logs[*].arn)}:*"]
  }
}

resource "aws_iam_role" "lambda_proxy" {
  count = var.lambda_proxy ? 1 : 0

  # IAM role names are account-wide: the region keeps two regions apart.
  name               = "${local.lambda_name}-${var.region}-lambda"
  description        = "Lambda proxy in front of ${var.name}: write its own logs, nothing else"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "lambda_proxy_logs" {
  count = var.lambda_proxy ? 1 : 0

  name   = "write-own-logs"
  role   = aws_iam_role.lambda_proxy[0].id
  policy = data.aws_iam_policy_document.lambda_logs[0].json
}

module "lambda_logs" {
  source = "../../modules/logs"
  count  = var.lambda_proxy ? 1 : 0

  name              = "/aws/lambda/${local.lambda_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "proxy" {
  count = var.lambda_proxy ? 1 : 0

  function_name    = local.lambda_name
  description      = "Forwards API Gateway proxy events to ${var.backend_url}"
  role             = aws_iam_role.lambda_proxy[0].arn
  runtime          = var.lambda_runtime
  handler          = "proxy.handler"
  filename         = data.archive_file.lambda_proxy[0].output_path
  source_code_hash = data.archive_file.lambda_proxy[0].output_base64sha256
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_proxy_timeout_s + 3

  environment {
    variables = {
      BACKEND_URL     = var.backend_url
      PROXY_TIMEOUT_S = tostring(var.lambda_proxy_timeout_s)
    }
  }

  tags = local.tags

  depends_on = [module.lambda_logs, aws_iam_role_policy.lambda_proxy_logs]
}

module "api_lambda" {
  source = "../../modules/apigw_proxy"
  count  = var.lambda_proxy ? 1 : 0

  name                 = "${var.name}-lambda"
  description          = "${var.name}: AWS_PROXY integration to the Lambda proxy (the original route)"
  stage_name           = var.stage_name
  integration          = "lambda"
  lambda_invoke_arn    = aws_lambda_function.proxy[0].invoke_arn
  lambda_function_name = aws_lambda_function.proxy[0].function_name
  timeout_milliseconds = (var.lambda_proxy_timeout_s + 4) * 1000
  tags                 = local.tags
}
