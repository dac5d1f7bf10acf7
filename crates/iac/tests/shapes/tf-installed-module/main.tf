module "fn" {
  source        = "terraform-aws-modules/lambda/aws"
  version       = "7.0.0"
  function_name = "installed"
  policy_arn    = "arn:aws:iam::aws:policy/AdministratorAccess"
}
