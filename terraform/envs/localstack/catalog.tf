# The catalog from S3, as in the AWS env (var.catalog_file): a bucket in LocalStack's S3
# (the community image has S3) and the local file uploaded as one object. The compose
# overlay compose.catalog.yaml copies it into the service container's volume (init
# service catalog-fetch, then catalog-sync polling its ETag), the way the ECS task's init
# container and sidecar do on AWS; with enable_pro_services the ECS task does it itself.

locals {
  catalog_on     = var.catalog_file != null
  catalog_key    = local.catalog_on ? "catalog/${basename(var.catalog_file)}" : null
  catalog_format = local.catalog_on ? (can(regex("\\.(snap|snapshot)$", var.catalog_file)) ? "snapshot" : "products") : null
  catalog = local.catalog_on ? {
    bucket    = one(aws_s3_bucket.catalog[*].id)
    key       = local.catalog_key
    format    = local.catalog_format
    refresh_s = var.catalog_refresh_s
    reload_s  = var.catalog_reload_s
    image     = var.catalog_image
  } : null
}

# S3 bucket names are global: a generated suffix (the catalog_s3_uri output names it).
resource "aws_s3_bucket" "catalog" {
  count = local.catalog_on ? 1 : 0

  bucket_prefix = "${var.name}-catalog-"
  force_destroy = true # LocalStack is disposable

  tags = local.tags
}

resource "aws_s3_object" "catalog" {
  count = local.catalog_on ? 1 : 0

  bucket = aws_s3_bucket.catalog[0].id
  key    = local.catalog_key
  source = var.catalog_file
  etag   = filemd5(var.catalog_file)

  tags = local.tags
}
