# A REST API that forwards every path and method to the service:
#   /            ANY -> backend /
#   /{proxy+}    ANY -> backend /{proxy}   (query string and headers pass through)
# through either an HTTP_PROXY integration (API Gateway calls the service itself)
# or an AWS_PROXY integration (API Gateway invokes a Lambda function that calls
# the service). One deployment, one stage.

locals {
  http_proxy = var.integration == "http_proxy"
  backend    = var.backend_url == null ? "" : trimsuffix(var.backend_url, "/")

  integration_type   = local.http_proxy ? "HTTP_PROXY" : "AWS_PROXY"
  integration_method = local.http_proxy ? "ANY" : "POST" # Lambda is always invoked with POST
  root_uri           = local.http_proxy ? "${local.backend}/" : var.lambda_invoke_arn
  proxy_uri          = local.http_proxy ? "${local.backend}/{proxy}" : var.lambda_invoke_arn
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = var.description

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "root" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_rest_api.this.root_resource_id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_method" "proxy" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.proxy.id
  http_method   = "ANY"
  authorization = "NONE"

  request_parameters = {
    "method.request.path.proxy" = true
  }
}

resource "aws_api_gateway_integration" "root" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_rest_api.this.root_resource_id
  http_method             = aws_api_gateway_method.root.http_method
  type                    = local.integration_type
  integration_http_method = local.integration_method
  uri                     = local.root_uri
  timeout_milliseconds    = var.timeout_milliseconds

  lifecycle {
    precondition {
      condition     = local.http_proxy ? var.backend_url != null : (var.lambda_invoke_arn != null && var.lambda_function_name != null)
      error_message = "integration \"http_proxy\" needs backend_url; integration \"lambda\" needs lambda_invoke_arn and lambda_function_name."
    }
  }
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy.http_method
  type                    = local.integration_type
  integration_http_method = local.integration_method
  uri                     = local.proxy_uri
  timeout_milliseconds    = var.timeout_milliseconds

  # HTTP_PROXY substitutes the greedy path into the backend URI; AWS_PROXY hands
  # the whole request to the function in the event instead.
  request_parameters = local.http_proxy ? {
    "integration.request.path.proxy" = "method.request.path.proxy"
  } : {}
}

resource "aws_lambda_permission" "apigw" {
  count = local.http_proxy ? 0 : 1

  statement_id  = "AllowInvokeFrom-${var.name}"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # Redeploy whenever the routes or their integrations change.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.proxy.id,
      aws_api_gateway_method.root.id,
      aws_api_gateway_method.proxy.id,
      aws_api_gateway_integration.root.id,
      aws_api_gateway_integration.root.uri,
      aws_api_gateway_integration.proxy.id,
      aws_api_gateway_integration.proxy.uri,
      aws_api_gateway_integration.proxy.timeout_milliseconds,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.root,
    aws_api_gateway_integration.proxy,
  ]
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.stage_name

  tags = var.tags
}
