using Vfioctl;

return Cli.Run(args);
