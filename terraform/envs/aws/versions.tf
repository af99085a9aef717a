terraform {
  # 1.11: S3 state locking with a lock file (use_lockfile); 1.9: validations
  # that compare two variables (task_cpu with task_memory, ...).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.8"
    }
  }

  # Remote state in S3, locked with a lock file next to it. Partial configuration:
  # bucket, key and region come from a file at init time,
  #   terraform init -backend-config=backend.hcl
  # (copy backend.hcl.example; scripts/deploy-aws.sh passes it). One key per
  # environment keeps their states apart.
  backend "s3" {}
}
