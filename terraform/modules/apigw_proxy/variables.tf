variable "name" {
  description = "Name of the REST API (also used in the Lambda permission statement id)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{1,63}$", var.name))
    error_message = "name must be 2-64 characters: letters, digits, '_' and '-', starting with a letter."
  }
}

variable "description" {
  description = "Description of the REST API."
  type        = string
  default     = "product-search behind API Gateway"
}

variable "stage_name" {
  description = "Name of the stage; it is the first path segment of every invoke URL (…/<stage>/products/search)."
  type        = string
  default     = "local"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 characters: letters, digits, '_' and '-'."
  }
}

variable "integration" {
  description = <<-EOT
    How API Gateway reaches the service:
    "http_proxy" (HTTP_PROXY integration straight to backend_url; no Lambda, no container start-up per request), or
    "lambda" (AWS_PROXY integration to the function given by lambda_invoke_arn, which forwards to the service).
  EOT
  type        = string
  default     = "http_proxy"

  validation {
    condition     = contains(["http_proxy", "lambda"], var.integration)
    error_message = "integration must be \"http_proxy\" or \"lambda\"."
  }
}

variable "backend_url" {
  description = "Base URL of the service as API Gateway sees it (integration \"http_proxy\"), e.g. http://product-search:8080; no trailing slash needed."
  type        = string
  default     = null

  validation {
    condition     = var.backend_url == null || can(regex("^https?://[^/?#\\s]+(/[^?#\\s]*)?$", var.backend_url))
    error_message = "backend_url must be an http:// or https:// URL without query string or fragment."
  }
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN of the proxy function (integration \"lambda\"): aws_lambda_function.<name>.invoke_arn."
  type        = string
  default     = null
}

variable "lambda_function_name" {
  description = "Name of the proxy function (integration \"lambda\"); the module grants API Gateway permission to invoke it."
  type        = string
  default     = null
}

variable "timeout_milliseconds" {
  description = "Integration timeout: how long API Gateway waits for the backend or the function (50-29000 ms)."
  type        = number
  default     = 29000

  validation {
    condition     = var.timeout_milliseconds >= 50 && var.timeout_milliseconds <= 29000 && floor(var.timeout_milliseconds) == var.timeout_milliseconds
    error_message = "timeout_milliseconds must be a whole number from 50 to 29000."
  }
}

variable "tags" {
  description = "Extra tags for the REST API and the stage."
  type        = map(string)
  default     = {}
}
