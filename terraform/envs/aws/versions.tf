terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # State is local by default. For a team, keep it in S3 with locking, e.g.:
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "product-search/aws.tfstate"
  #   region       = "us-east-1"
  #   use_lockfile = true
  # }
}
