resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}

resource "aws_sqs_queue" "q" {
  name = "q"
}
