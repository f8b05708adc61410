using Vfioctl;

return Cli.Run(args, services: CliServices.Real);
