output "rest_api_id" {
  description = "ID of the REST API (part of every invoke URL)."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (for IAM and Lambda permissions)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage; the first path segment of the invoke URL."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Invoke URL of the stage as AWS builds it (https://<id>.execute-api.<region>.amazonaws.com/<stage>); LocalStack serves the API under its own host names, see the env's outputs."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "integration_type" {
  description = "The integration in use: HTTP_PROXY or AWS_PROXY."
  value       = local.integration_type
}
