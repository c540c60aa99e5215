from tenderwatch.cli import main

main()
