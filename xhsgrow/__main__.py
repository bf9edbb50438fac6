from xhsgrow.cli import main

main()
