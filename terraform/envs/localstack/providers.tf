# The AWS provider pointed at LocalStack: fixed test credentials, none of the
# checks that need real AWS (credentials, metadata API, account id look-up),
# path-style S3, and every service this configuration uses sent to one endpoint.

provider "aws" {
  region     = var.region
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    apigateway     = var.localstack_endpoint
    appautoscaling = var.localstack_endpoint
    cloudwatch     = var.localstack_endpoint
    ec2            = var.localstack_endpoint
    ecr            = var.localstack_endpoint
    ecs            = var.localstack_endpoint
    elbv2          = var.localstack_endpoint
    iam            = var.localstack_endpoint
    lambda         = var.localstack_endpoint
    logs           = var.localstack_endpoint
    s3             = var.localstack_endpoint
    sts            = var.localstack_endpoint
  }

  default_tags {
    tags = {
      Project     = var.name
      Environment = "localstack"
      ManagedBy   = "terraform"
    }
  }
}
